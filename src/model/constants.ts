import type { NodeKind, OverlayGateway, VxlanParams } from "./types";

export const DEFAULTS = {
  project: "vxlan-lab",
  vteps: 3,
  routers: 2,
  mtu: 9000,
  /** The seed: H1 behind S1, H2 and H3 behind S2, H4 behind S3. */
  seedPlacement: [1, 2, 1],
} as const;

export const LIMITS = {
  vteps: { min: 2, max: 64 },
  routers: { min: 1, max: 4 },
  hostsPerVtep: { min: 0, max: 8 },
  // The last MAC byte is 0x08 + index, so 200 hosts still fit in one byte (0xcf).
  hosts: { min: 1, max: 200 },
  // Below 1350 the overlay would drop under 1280, and Linux turns IPv6 off on such links.
  mtu: { min: 1350, max: 9000 },
} as const;

// Outer IPv6 40 + UDP 8 + VXLAN 8 + inner Ethernet 14.
export const VXLAN_OVERHEAD = 70;

export const VXLAN: Readonly<VxlanParams> = {
  vni: 100,
  port: 4789,
  ttl: 5,
  group: "ff35::100",
  device: "vxlan100",
  bridge: "br100",
  overlayPrefix: "2001:db8:ff::/64",
};

/** Second overlay subnet of the route-short-circuit variant (the seed's H4). */
export const RSC_PREFIX = "2001:db8:fe::/64";

/** The two routers the rsc hosts point at; neither exists, the VTEPs short-circuit them. */
export const RSC_GATEWAYS: Readonly<Record<"overlay" | "rsc", Readonly<OverlayGateway>>> = {
  overlay: { address: "2001:db8:ff::1", mac: "02:00:00:00:00:01" },
  rsc: { address: "2001:db8:fe::1", mac: "02:00:00:00:00:02" },
};

/**
 * The dynamic variants' registry: one etcd whose service address sits on its
 * lo, dual-homed with a link to every router (2001:db8:fffe:<r>::/64, the
 * router ::1, the registry ::2). Each router routes the address to its link and
 * advertises it into OSPFv3, so the registry stays reachable with any router
 * left (R1 alone was a single point of failure: its stop expired every lease).
 */
export const REGISTRY = {
  node: "registry",
  address: "2001:db8:fffe::2",
  port: 2379,
} as const;

/** The /64 of the registry's link to router r (1-based). */
export const registryLinkNet = (r: number): string => `2001:db8:fffe:${r.toString(16)}::`;

/** Docker container names are built from the stack name. */
export const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;
/** Pulumi project names; also used as a label value. */
export const PROJECT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Capabilities added on top of the engine's defaults; nothing runs privileged.
 * - NET_ADMIN: addresses, routes, bridge, VXLAN device, FDB/neighbour entries, nftables counters.
 * - NET_RAW: raw sockets for OSPFv3, PIM and MLD, and ping; Docker grants it by default
 *   but Podman does not, so it is listed explicitly.
 * - SYS_ADMIN (FRR nodes only): zebra and the other FRR daemons ask for it in their permitted
 *   set (they use it for network-namespace operations) and exit at start-up
 *   ("privs_init: initial cap_set_proc failed") when the container does not have it.
 */
export const CAPABILITIES: Readonly<Record<NodeKind, readonly string[]>> = {
  router: ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"],
  vtep: ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"],
  host: ["NET_ADMIN", "NET_RAW"],
  // Addresses its lo and links and sets its route; etcd itself needs nothing.
  registry: ["NET_ADMIN"],
  // FDB and neighbour entries, and the nftables set it learns local hosts from.
  agent: ["NET_ADMIN"],
};

const IPV6_ON: Readonly<Record<string, string>> = {
  "net.ipv6.conf.all.disable_ipv6": "0",
  "net.ipv6.conf.default.disable_ipv6": "0",
};

export const SYSCTLS: Readonly<Record<NodeKind, Readonly<Record<string, string>>>> = {
  router: { ...IPV6_ON, "net.ipv6.conf.all.forwarding": "1" },
  vtep: { ...IPV6_ON, "net.ipv6.conf.all.forwarding": "1" },
  // Host MACs are fixed and unique, so DAD only costs a second before the address is usable.
  host: { ...IPV6_ON, "net.ipv6.conf.all.accept_dad": "0", "net.ipv6.conf.default.accept_dad": "0" },
  // Dual-homed by a multipath route: a link whose router set it down (no
  // carrier) must leave the route at once, not blackhole its share of flows.
  registry: { ...IPV6_ON, "net.ipv6.conf.all.ignore_routes_with_linkdown": "1" },
  // The engine refuses net.* sysctls for a container in another's namespace; the VTEP's apply.
  agent: {},
};

export const LABEL_PREFIX = "vxlan-lab";

/**
 * The multicast variant's VTEP limit: 32 IPv6 multicast interfaces per
 * namespace (the kernel's MAXMIFS), less the PIM register interface on each
 * router, which has one per VTEP link (read from /proc/net/ip6_mr_vif).
 */
export const MULTICAST_MAX_VTEPS = 31;
