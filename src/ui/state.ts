/**
 * A node's frame, turned into what the page shows: rows with the lab's names
 * next to the addresses (MAC -> host, VTEP address -> VTEP), and the counters
 * of the VXLAN device and the uplinks. Pure.
 */
import { formatIPv6, type Topology } from "../model";
import { parseSection } from "./frames";

export interface FdbRow {
  mac: string;
  /** The host owning the MAC, when it is one of the lab's. */
  host?: string;
  /** Remote VTEP address (the VXLAN device's own entries). */
  dst?: string;
  /** That address's VTEP name, or "flood" / "group" for the all-zeros entries. */
  vtep?: string;
  /** "vxlan" (the device's own entry, with a destination) or "bridge" (the bridge's, port vxlan100). */
  table: "vxlan" | "bridge";
  /** permanent, static, stale, or "dynamic" (the kernel's empty state: ages out unless extern_learn). */
  state: string;
  flags: string[];
}

export interface NeighRow {
  ip: string;
  host?: string;
  lladdr?: string;
  state: string[];
  flags: string[];
}

export interface Counters {
  rxPackets: number;
  txPackets: number;
  rxBytes: number;
  txBytes: number;
  rxDropped: number;
  txDropped: number;
  rxErrors: number;
  txErrors: number;
}

export interface LinkCounters extends Counters {
  iface: string;
  /** Its peer node, e.g. R1. */
  peer: string;
}

export interface EvpnMacRow {
  mac: string;
  host?: string;
  type: string;
  /** The local port, or the remote VTEP address. */
  where: string;
  vtep?: string;
  seq: string;
}

export interface VtepView {
  node: string;
  /** Server time when the frame was complete (ms since epoch). */
  at: number;
  fdb: FdbRow[];
  neigh: NeighRow[];
  vxlan?: Counters;
  uplinks: LinkCounters[];
  /** evpn only: the SVI's neighbour table and zebra's MAC table for the VNI. */
  svi?: NeighRow[];
  evpn?: EvpnMacRow[];
  /** Sections that did not read, with what the command printed. */
  errors: Record<string, string>;
}

interface KernelFdb {
  mac: string;
  dst?: string;
  flags?: string[];
  state?: string;
  master?: string;
}

interface KernelNeigh {
  dst: string;
  lladdr?: string;
  state?: string[];
  router?: null;
  proxy?: null;
  extern_learn?: null;
}

interface KernelStats {
  bytes?: number;
  packets?: number;
  errors?: number;
  dropped?: number;
}

interface KernelLink {
  ifname: string;
  stats64?: { rx?: KernelStats; tx?: KernelStats };
}

interface ZebraMacs {
  macs?: Record<
    string,
    { type?: string; intf?: string; remoteVtep?: string; localSequence?: number; remoteSequence?: number }
  >;
}

/** Names for the addresses a VTEP's tables hold. */
export interface Names {
  hostByMac: Map<string, string>;
  hostByIp: Map<string, string>;
  vtepByAddress: Map<string, string>;
}

/** The link-local address a host derives from its MAC (modified EUI-64), as the kernel prints it. */
export function linkLocalOf(mac: string): string {
  const b = mac.split(":").map((x) => parseInt(x, 16));
  const eui = [(b[0] ?? 0) ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]];
  const iid = eui.reduce((acc: bigint, x) => (acc << 8n) | BigInt(x ?? 0), 0n);
  return formatIPv6((0xfe80n << 112n) | iid);
}

export function namesOf(t: Topology): Names {
  return {
    hostByMac: new Map(t.hosts.map((h) => [h.mac.toLowerCase(), h.name])),
    hostByIp: new Map(
      t.hosts.flatMap((h) => [
        [h.address.replace(/\/\d+$/, ""), h.name],
        [linkLocalOf(h.mac), h.name],
      ]),
    ),
    vtepByAddress: new Map(
      t.nodes.filter((n) => n.kind === "vtep" && n.loopback).map((n) => [n.loopback ?? "", n.name]),
    ),
  };
}

const ALL_ZEROS = "00:00:00:00:00:00";

function fdbRows(entries: KernelFdb[], names: Names): FdbRow[] {
  const rows = entries.map((e): FdbRow => {
    const mac = e.mac.toLowerCase();
    const table = e.dst !== undefined ? "vxlan" : "bridge";
    let vtep = e.dst !== undefined ? names.vtepByAddress.get(e.dst) : undefined;
    if (e.dst !== undefined && vtep === undefined && /^ff/i.test(e.dst)) vtep = "group";
    return {
      mac,
      host: names.hostByMac.get(mac) ?? (mac === ALL_ZEROS ? "flood (BUM)" : undefined),
      dst: e.dst,
      vtep,
      table,
      state: e.state || "dynamic",
      // "self" marks the device's own entries, which the table column says already.
      flags: (e.flags ?? []).filter((f) => f !== "self"),
    };
  });
  // The VXLAN device's entries (where frames go) first, then by MAC.
  const rank = (r: FdbRow) => (r.table === "vxlan" ? 0 : 1);
  return rows.sort(
    (a, b) => rank(a) - rank(b) || a.mac.localeCompare(b.mac) || (a.dst ?? "").localeCompare(b.dst ?? ""),
  );
}

function neighRows(entries: KernelNeigh[], names: Names): NeighRow[] {
  return entries
    .map((e) => ({
      ip: e.dst,
      host: names.hostByIp.get(e.dst),
      lladdr: e.lladdr,
      state: e.state ?? [],
      // iproute2 marks flags as keys with null values.
      flags: (["router", "proxy", "extern_learn"] as const).filter((f) => f in e),
    }))
    .sort((a, b) => a.ip.localeCompare(b.ip));
}

function counters(l: KernelLink | undefined): Counters | undefined {
  const s = l?.stats64;
  if (!s) return undefined;
  return {
    rxPackets: s.rx?.packets ?? 0,
    txPackets: s.tx?.packets ?? 0,
    rxBytes: s.rx?.bytes ?? 0,
    txBytes: s.tx?.bytes ?? 0,
    rxDropped: s.rx?.dropped ?? 0,
    txDropped: s.tx?.dropped ?? 0,
    rxErrors: s.rx?.errors ?? 0,
    txErrors: s.tx?.errors ?? 0,
  };
}

function evpnRows(z: ZebraMacs, names: Names): EvpnMacRow[] {
  return Object.entries(z.macs ?? {})
    .map(([mac, m]) => ({
      mac,
      host: names.hostByMac.get(mac.toLowerCase()),
      type: m.type ?? "",
      where: m.remoteVtep ?? m.intf ?? "",
      vtep: m.remoteVtep ? names.vtepByAddress.get(m.remoteVtep) : undefined,
      seq: `${m.localSequence ?? 0}/${m.remoteSequence ?? 0}`,
    }))
    .sort((a, b) => a.mac.localeCompare(b.mac));
}

/** Uplinks of a VTEP: its underlay interfaces and the router on the other end. */
export function uplinksOf(t: Topology, vtep: string): { iface: string; peer: string }[] {
  const node = t.nodes.find((n) => n.name === vtep);
  const underlay = new Set(t.links.filter((l) => l.kind === "underlay").map((l) => l.name));
  return (node?.interfaces ?? [])
    .filter((i) => underlay.has(i.link))
    .map((i) => ({ iface: i.name, peer: i.peer.node }));
}

export function vtepView(
  t: Topology,
  names: Names,
  node: string,
  sections: Record<string, string>,
  at: number,
): VtepView {
  const errors: Record<string, string> = {};
  const read = <T>(name: string): T | undefined => {
    const r = parseSection<T>(sections[name]);
    if (r.error !== undefined) errors[name] = r.error;
    return r.value;
  };
  const fdb = read<KernelFdb[]>("fdb") ?? [];
  const neigh = read<KernelNeigh[]>("neigh") ?? [];
  const links = read<KernelLink[]>("links") ?? [];
  const byName = new Map(links.map((l) => [l.ifname, l]));
  const view: VtepView = {
    node,
    at,
    fdb: fdbRows(fdb, names),
    neigh: neighRows(neigh, names),
    vxlan: counters(byName.get(t.vxlan.device)),
    uplinks: uplinksOf(t, node).flatMap((u) => {
      const c = counters(byName.get(u.iface));
      return c ? [{ ...u, ...c }] : [];
    }),
    errors,
  };
  if ("svi" in sections) view.svi = neighRows(read<KernelNeigh[]>("svi") ?? [], names);
  if ("evpn" in sections) view.evpn = evpnRows(read<ZebraMacs>("evpn") ?? {}, names);
  if (!view.vxlan && !errors.links) errors.links = `no ${t.vxlan.device} device`;
  return view;
}
