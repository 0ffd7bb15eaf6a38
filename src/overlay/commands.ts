/**
 * Shell commands that build a VTEP's overlay: one bridge, one VXLAN device,
 * the access ports, and FDB / neighbour entries. Pure: variants pick from here.
 */
import { getNode, hostsBehind, stripLength, type OverlayHost, type Topology } from "../model";

export const ALL_ZEROS = "00:00:00:00:00:00";

export interface VxlanOptions {
  /** Source address of the VXLAN packets (default: the VTEP loopback). */
  local?: string;
  /** Multicast group and the underlay interface to join it on. */
  group?: { address: string; dev: string };
  /** iproute2 flags: nolearning, proxy, rsc, l2miss, l3miss. */
  flags?: readonly ("nolearning" | "proxy" | "rsc" | "l2miss" | "l3miss")[];
}

/** Bridge + VXLAN device + access ports, all up. No FDB entries yet. */
export function vtepBase(t: Topology, vtep: string, o: VxlanOptions = {}): string[] {
  const n = getNode(t, vtep);
  const { device: vx, bridge: br, vni, port, ttl } = t.vxlan;
  const mtu = t.overlay.mtu;
  const vxlan = [
    `ip link add ${vx} type vxlan id ${vni} dstport ${port}`,
    `local ${o.local ?? n.loopback}`,
    `ttl ${ttl}`,
    ...(o.group ? [`group ${o.group.address} dev ${o.group.dev}`] : []),
    ...(o.flags ?? []),
  ].join(" ");
  const ports = hostsBehind(t, vtep).map((h) => h.vtepPort);
  const overlayDevs = [br, vx, ...ports].map((d) => `"${d}"`).join(", ");
  return [
    // A changed variant reruns in the same container: start from a clean slate.
    `ip link del ${vx} 2>/dev/null || true`,
    `ip link del ${br} 2>/dev/null || true`,
    "nft delete table inet vtep_silent 2>/dev/null || true",
    // The VTEP has no voice in the overlay: as an IPv6 router it would report
    // its all-routers groups by MLD there, and every count would be off.
    // /proc/sys is read-only in a container (no disable_ipv6), so its own
    // packets toward overlay devices are dropped before they leave; bridged
    // frames never pass this hook.
    `printf '%s\\n' 'table inet vtep_silent { chain out { type filter hook output priority 0; oifname { ${overlayDevs} } drop; }; }' | nft -f -`,
    // No snooping: the lab shows what VXLAN floods, not what the bridge filters.
    `ip link add ${br} type bridge mcast_snooping 0`,
    vxlan,
    ...[br, vx, ...ports].map((d) => `ip link set ${d} addrgenmode none mtu ${mtu}`),
    ...ports.map((p) => `ip -6 addr flush dev ${p} && ip link set ${p} master ${br}`),
    `ip link set ${vx} master ${br}`,
    `ip link set ${vx} up && ip link set ${br} up`,
  ];
}

export const remoteVteps = (t: Topology, vtep: string) =>
  t.nodes.filter((n) => n.kind === "vtep" && n.name !== vtep);

export const remoteHosts = (t: Topology, vtep: string) => t.hosts.filter((h) => h.vtep !== vtep);

export const loopbackOf = (t: Topology, vtep: string): string => getNode(t, vtep).loopback ?? "";

/** Head-end replication: one all-zeros entry per remote VTEP. */
export function floodEntries(t: Topology, vtep: string): string[] {
  return remoteVteps(t, vtep).map(
    (r) => `bridge fdb append ${ALL_ZEROS} dev ${t.vxlan.device} dst ${r.loopback}`,
  );
}

/** Static MAC -> remote VTEP entries for every remote host. */
export function staticMacEntries(t: Topology, vtep: string): string[] {
  return remoteHosts(t, vtep).map(
    (h) => `bridge fdb add ${h.mac} dev ${t.vxlan.device} dst ${loopbackOf(t, h.vtep)} static`,
  );
}

/** A host's overlay address without its prefix length. */
export const bareAddress = (h: OverlayHost) => stripLength(h.address);

/** Static neighbour entries on the VXLAN device, for `proxy` and `rsc`. */
export function neighEntries(t: Topology, vtep: string): string[] {
  return remoteHosts(t, vtep).map(
    (h) => `ip -6 neigh replace ${bareAddress(h)} lladdr ${h.mac} dev ${t.vxlan.device} nud permanent`,
  );
}
