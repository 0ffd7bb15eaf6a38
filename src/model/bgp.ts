// BGP EVPN for the evpn variant (FRR >= 10.7 on every node: IPv6 VTEPs in type-3
// PMSI attributes are encoded right only from 10.7.0, route reflectors included).
// iBGP between IPv6 loopbacks over the OSPFv3 underlay: the routers reflect, the
// VTEPs advertise their VNIs. IPv6-only, so router ids are explicit and the
// IPv4 unicast family is off.
import { BFD_PROFILES } from "./bfd";
import { LIMITS } from "./constants";
import { getNode } from "./topology";
import type { LabNode, Topology } from "./types";

/** One AS for the whole lab: every session is iBGP. */
export const EVPN_ASN = 65000;

/** Peer-group names in frr.conf. */
export const PEER_GROUPS = { reflectors: "RR", vteps: "VTEPS" } as const;

/**
 * The prefix the route reflectors accept sessions from: every VTEP loopback the
 * model can give (2001:db8:<i>::1 for i = 1..LIMITS.vteps.max), and no router
 * loopback (2001:db8:ffff::r). Dynamic neighbours from it mean a new VTEP needs
 * no change on the routers.
 */
export function vtepListenRange(): string {
  const bits = Math.ceil(Math.log2(LIMITS.vteps.max + 1));
  // The VTEP index is the third 16-bit group: the range keeps its top bits zero.
  return `2001:db8::/${48 - bits}`;
}

function routing(n: LabNode): { loopback: string; routerId: string } {
  if (n.loopback === undefined || n.routerId === undefined) {
    throw new Error(`${n.name} has no loopback or router id: BGP needs both`);
  }
  return { loopback: n.loopback, routerId: n.routerId };
}

function header(routerId: string): string[] {
  return [
    `router bgp ${EVPN_ASN}`,
    ` bgp router-id ${routerId}`,
    // IPv6-only: no IPv4 unicast session is implied for any neighbour.
    " no bgp default ipv4-unicast",
    " bgp log-neighbor-changes",
  ];
}

/** A route reflector: passive, dynamic neighbours from the VTEP loopback range, l2vpn evpn only. */
export function routerBgpConfig(t: Topology, node: string): string[] {
  const n = getNode(t, node);
  if (n.kind !== "router") throw new Error(`${node} is a ${n.kind}, not a router`);
  const g = PEER_GROUPS.vteps;
  return [
    ...header(routing(n).routerId),
    ` neighbor ${g} peer-group`,
    ` neighbor ${g} remote-as internal`,
    // The reflectors never connect to each other: every VTEP peers with each of them.
    ` bgp listen range ${vtepListenRange()} peer-group ${g}`,
    // Multihop BFD between loopbacks (iBGP, not on a shared link): a dead peer
    // is dropped in about a second, not after the 9 s hold time (frr.ts has the profile).
    ` neighbor ${g} bfd profile ${BFD_PROFILES.reflectors}`,
    " !",
    " address-family l2vpn evpn",
    `  neighbor ${g} activate`,
    `  neighbor ${g} route-reflector-client`,
    " exit-address-family",
    "exit",
    "!",
  ];
}

/** A VTEP: one session from its loopback to each router's, l2vpn evpn with every local VNI advertised. */
export function vtepBgpConfig(t: Topology, node: string): string[] {
  const n = getNode(t, node);
  if (n.kind !== "vtep") throw new Error(`${node} is a ${n.kind}, not a VTEP`);
  const { loopback, routerId } = routing(n);
  const g = PEER_GROUPS.reflectors;
  const reflectors = t.nodes.filter((r) => r.kind === "router").map((r) => routing(r).loopback);
  return [
    ...header(routerId),
    ` neighbor ${g} peer-group`,
    ` neighbor ${g} remote-as internal`,
    // bgpd connects as soon as next-hop tracking sees the reflector's loopback
    // (measured: within 0.1 s of the OSPFv3 route), but an attempt that failed
    // ("No path to specified Neighbor", while the VTEP was cut off) waits for
    // the connect timer: 10 s in the datacenter profile. Seen: one reflector
    // back 10-13 s after the other; 2 s keeps that window short.
    ` neighbor ${g} update-source ${loopback}`,
    ` neighbor ${g} timers connect 2`,
    // A dead reflector is dropped in about a second, not after the 9 s hold
    // time: multihop BFD between the loopbacks (the profile is in frr.ts).
    ` neighbor ${g} bfd profile ${BFD_PROFILES.reflectors}`,
    ...reflectors.map((r) => ` neighbor ${r} peer-group ${g}`),
    " !",
    " address-family l2vpn evpn",
    `  neighbor ${g} activate`,
    // zebra hands over every VNI whose VXLAN device is in a bridge (vxlan100).
    "  advertise-all-vni",
    " exit-address-family",
    "exit",
    "!",
  ];
}

/** The BGP section of frr.conf for a router or VTEP of the evpn variant. */
export function bgpConfig(t: Topology, node: string): string[] {
  return getNode(t, node).kind === "router" ? routerBgpConfig(t, node) : vtepBgpConfig(t, node);
}
