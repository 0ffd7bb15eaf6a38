/**
 * The JSON the checks read from the lab's nodes: iproute2 (`bridge -j`,
 * `ip -j`), nftables (`nft -j`), mtr, etcd and FRR (`vtysh -c '... json'`).
 * Only the fields the checks use are named; the rest passes through, so a
 * newer tool that adds fields still parses, and one that drops or retypes a
 * field we read fails naming it.
 */
import { z } from "zod";

// ---- iproute2 ----

/** `bridge -j fdb show`. */
export const FdbEntrySchema = z.looseObject({
  mac: z.string(),
  dst: z.string().optional(),
  flags: z.array(z.string()).default([]),
  state: z.string().optional(),
  master: z.string().optional(),
});
export type FdbEntry = z.output<typeof FdbEntrySchema>;
export const FdbSchema = z.array(FdbEntrySchema);

/** `ip -j neigh show`. */
export const NeighEntrySchema = z.looseObject({
  dst: z.string(),
  lladdr: z.string().optional(),
  state: z.array(z.string()).optional(),
  /** Present (null) on entries zebra installed. */
  extern_learn: z.unknown().optional(),
  protocol: z.string().optional(),
});
export type NeighEntry = z.output<typeof NeighEntrySchema>;
export const NeighSchema = z.array(NeighEntrySchema);

/** `ip -s -j ntable show`: per table, one object of parameters and one of statistics. */
export const NtableSchema = z.array(
  z.looseObject({
    name: z.string(),
    table_fulls: z.number().optional(),
    entries: z.number().optional(),
    thresh3: z.number().optional(),
  }),
);

// ---- nftables, mtr, etcd ----

/** `nft -j list counters table ...`. */
export const NftCountersSchema = z.looseObject({
  nftables: z.array(
    z.looseObject({ counter: z.looseObject({ name: z.string(), packets: z.number() }).optional() }),
  ),
});

/** `mtr --json`. */
export const MtrReportSchema = z.looseObject({
  report: z.looseObject({ hubs: z.array(z.looseObject({ host: z.string() })) }),
});

/** `etcdctl get -w json`: keys and values base64-encoded. */
export const EtcdRangeSchema = z.looseObject({
  kvs: z
    .array(
      z.looseObject({
        key: z.string(),
        value: z.string().optional(),
        lease: z.union([z.number(), z.string()]).optional(),
      }),
    )
    .optional(),
});

/** What the agents publish under each key. */
export const RegistryValueSchema = z.record(z.string(), z.string());

// ---- FRR 10.7 ----

/** `show bgp neighbors json`: neighbour address -> state. */
export const BgpNeighborsSchema = z.record(
  z.string(),
  z.looseObject({
    bgpState: z.string().optional(),
    hostname: z.string().optional(),
    neighborCapabilities: z
      .looseObject({
        multiprotocolExtensions: z
          .record(z.string(), z.looseObject({ advertisedAndReceived: z.boolean().optional() }))
          .optional(),
      })
      .optional(),
  }),
);

/** One path of an EVPN route in `show bgp l2vpn evpn route detail ... json`. */
export const EvpnPathSchema = z.looseObject({
  valid: z.boolean().optional(),
  /** An object in the detail view, `true` in the brief one. */
  bestpath: z.union([z.boolean(), z.looseObject({ overall: z.boolean().optional() })]).optional(),
  nexthops: z.array(z.looseObject({ ip: z.string() })).optional(),
  pmsi: z
    .looseObject({
      tunnelType: z.string().optional(),
      label: z.number().optional(),
      id: z.string().optional(),
    })
    .optional(),
  extendedCommunity: z.looseObject({ string: z.string().optional() }).optional(),
  /** Who sent the path (detail view): a reflector's address, "0.0.0.0" for a local route. */
  peer: z.looseObject({ peerId: z.string().optional() }).optional(),
});
export type EvpnPath = z.output<typeof EvpnPathSchema>;

/** An EVPN route: type 2 has mac (and ip for MAC+IP), type 3 has ip (the originator). */
export const EvpnRouteSchema = z.looseObject({
  prefix: z.string(),
  routeType: z.number(),
  mac: z.string().optional(),
  ip: z.string().optional(),
  paths: z.array(z.array(EvpnPathSchema)),
});
export type EvpnRoute = z.output<typeof EvpnRouteSchema>;

/** The route tables, keyed by route distinguisher, then by prefix ("[2]:[0]:..."), among other keys. */
export const EvpnTableSchema = z.record(z.string(), z.unknown());

/** `show evpn mac vni N mac M json`: M -> zebra's view of it. */
export const ZebraMacSchema = z.record(
  z.string(),
  z.looseObject({
    type: z.string(),
    intf: z.string().optional(),
    remoteVtep: z.string().optional(),
    localSequence: z.number(),
    remoteSequence: z.number(),
    detectionCount: z.number().optional(),
    isDuplicate: z.boolean().optional(),
  }),
);
export type ZebraMac = z.output<typeof ZebraMacSchema>[string];

/** `show evpn vni N json` (an empty object when zebra has no such VNI). */
export const ZebraVniSchema = z.looseObject({
  vni: z.number().optional(),
  vtepIp: z.string().optional(),
  vxlanInterface: z.string().optional(),
  sviInterface: z.string().optional(),
  remoteVteps: z.array(z.looseObject({ ip: z.string(), flood: z.string() })).optional(),
});

/** `show ipv6 ospf6 neighbor json`: the adjacencies, each with its state ("Full" when whole). */
export const Ospf6NeighborsSchema = z.looseObject({
  neighbors: z.array(z.looseObject({ state: z.string() })).optional(),
});

/**
 * `ip -j link show`: each interface's name, index and operational state; a
 * veth's peer index (link_index) and a bridge port's bridge (master).
 */
export const LinksSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    ifindex: z.number().optional(),
    operstate: z.string().optional(),
    link_index: z.number().optional(),
    master: z.string().optional(),
  }),
);

/** `show ipv6 pim state json`: group -> source -> its fields and, per inbound interface, its outbound ones. */
export const PimStateSchema = z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown())));
