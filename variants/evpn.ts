/**
 * BGP EVPN: the control plane fills the tables. Every VTEP runs iBGP (l2vpn
 * evpn) from its IPv6 loopback to the routers, which reflect; zebra hands the
 * VNI of vxlan100 to bgpd (`advertise-all-vni`). Each VTEP announces itself with
 * a type-3 route (PMSI: ingress replication to its loopback), from which the
 * others install an all-zeros FDB entry; its hosts' MACs and MAC+IPv6 pairs
 * go out as type-2 routes, installed elsewhere as FDB entries and as neighbour
 * entries on br100 (all extern_learn). Nothing is learned from the data plane
 * (`nolearning`, bridge-port learning off); `neigh_suppress` answers ND for
 * known remote hosts at the VTEP. BUM frames still go N-1 times.
 *
 * MAC+IP routes need the VTEP to know its hosts' address -> MAC: zebra reads
 * them from the SVI's (br100's) neighbour table. The VTEP stays silent in the
 * overlay, so br100 gets only the link-local fe80::1 (no overlay route, no
 * overlay address), and each host announces itself with one neighbour
 * solicitation for it from its own address: the kernel learns the pair (state
 * STALE), the answer is dropped by vtep_silent. The solicitation for the
 * VTEP's own address never crosses VXLAN (the bridge keeps it local). Such
 * an entry stays STALE and unused, so br100's gc_stale is raised: with the
 * default 60 s the machine-wide periodic GC (once other labs push the table past
 * gc_thresh1) removed it and zebra withdrew the MAC+IP route (measured).
 *
 * Needs FRR >= 10.7 on every FRR node (image frr-evpn, Debian forky).
 */
import {
  announce,
  evpnFdb,
  evpnSessions,
  hostMobility,
  imetRoutes,
  macIpRoutes,
  sviNeighbours,
  vtepGone,
  zebraVni,
} from "../src/checks/evpn";
import { amplification, hostPairs, paths, reachability, unknownUnicast } from "../src/checks/common";
import type { Check } from "../src/checks/types";
import type { Topology } from "../src/model";
import { bareAddress, vtepBase } from "../src/overlay/commands";
import { merge, perVtep, probeHost, vtepCount, type Variant } from "../src/overlay/variant";
import { ndAnsweredLocally } from "./unicast-static-nd";

/** The SVI's only address, the same on every VTEP: what hosts solicit to be learned. */
export const SVI_ADDRESS = "fe80::1";

/** 10 days instead of 60 s before an unused learned neighbour may be collected (per device, over netlink). */
export const NEIGH_GC_STALE_MS = 864_000_000;

export function evpnCommands(t: Topology): Record<string, string[]> {
  const { device, bridge } = t.vxlan;
  return merge(
    perVtep(t, (v) => [
      ...vtepBase(t, v, { flags: ["nolearning"] }),
      `bridge link set dev ${device} learning off neigh_suppress on`,
      `ip -6 addr add ${SVI_ADDRESS}/64 dev ${bridge} nodad`,
      // Learned entries stay STALE (the VTEP never confirms them): keep the
      // periodic GC, which runs once the machine holds gc_thresh1 entries, off them.
      `ip ntable change name ndisc_cache dev ${bridge} gc_stale ${NEIGH_GC_STALE_MS}`,
    ]),
    ...t.hosts.map((h) => ({ [h.name]: [announce(bareAddress(h), "eth0", SVI_ADDRESS)] })),
  );
}

export function evpnChecks(t: Topology): Check[] {
  const h = probeHost(t);
  const remote = t.hosts.find((x) => x.vtep !== h.vtep);
  const n = vtepCount(t);
  const lastVtep = t.nodes.filter((x) => x.kind === "vtep").at(-1)?.name ?? "";
  // The control-plane and table checks read what the hosts' announcements
  // made, so they run alongside the pings; the packet counts and the two
  // checks that move things (a host, a VTEP) run alone, last.
  return [
    evpnSessions(t),
    imetRoutes(t),
    zebraVni(t),
    macIpRoutes(t),
    evpnFdb(t),
    sviNeighbours(t),
    reachability(hostPairs(t)),
    paths(t),
    amplification(h, n - 1),
    unknownUnicast(h, n - 1),
    ...(remote ? [ndAnsweredLocally(h, remote), hostMobility(t, h, remote, SVI_ADDRESS)] : []),
    // Last: it takes a VTEP away for a while.
    vtepGone(t, lastVtep),
  ];
}

export const variant: Variant = {
  name: "evpn",
  summary:
    "BGP EVPN over IPv6 VTEPs: type-3 routes build head-end replication, type-2 routes fill FDB and ND suppression; nothing learned",
  commands: evpnCommands,
  amplification: (t) => vtepCount(t) - 1,
  checks: evpnChecks,
  frrImage: "frr-evpn",
};
