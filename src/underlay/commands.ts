/** What each node needs to build the underlay and address the hosts. Pure. */
import { daemonsFile, frrConfig, nodeTarget, type Topology } from "../model";
import type { VtepTarget } from "./convergence";

/** Writes a file through a shell without quoting trouble. */
export function writeFile(path: string, content: string): string {
  return `printf %s '${Buffer.from(content).toString("base64")}' | base64 -d > ${path}`;
}

/** Routers and VTEPs: frr.conf and daemons, in place before the container starts. */
export function frrFiles(t: Topology, node: string): { path: string; content: string }[] {
  return [
    { path: "/etc/frr/daemons", content: daemonsFile(t, node) },
    { path: "/etc/frr/frr.conf", content: frrConfig(t, node) },
  ];
}

/**
 * An FRR node's main command: FRR starts with the container, before its links
 * exist; zebra applies each interface's config the moment the interface
 * appears (and again when a rewired veth comes back under the same name).
 * A restarted container keeps /var/run/frr, whose pid files then name PIDs
 * that the new PID namespace hands out again, often to FRR's own start-up
 * scripts: watchfrr's stop of a daemon it cannot reach signalled one of them
 * and waited up to 120 s, and no daemon ran (CI: R1 restarted, only
 * frrinit.sh, watchfrr and watchfrr.sh alive). Nothing of FRR runs yet
 * here, so its runtime files go first.
 */
export const FRR_START = [
  "sh",
  "-ec",
  "rm -rf /var/run/frr/*; chown frr:frr /etc/frr/frr.conf /etc/frr/daemons; /usr/lib/frr/frrinit.sh start; exec sleep infinity",
];

/** A host's access link end: its seed MAC and overlay address, set as the link is made. */
export function hostEnd(t: Topology, host: string): { mac: string; addresses: string[] } {
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  return { mac: h.mac, addresses: [h.address] };
}

/**
 * The registry (no routing daemon): its service address on lo, one multipath
 * route back into the underlay over its link to every router, then etcd,
 * waited on until healthy. A link whose router is down right now is left out;
 * the router's return makes the link anew and reruns this.
 */
export function registryCommands(t: Topology): string[] {
  const r = t.registry;
  if (!r) throw new Error(`variant ${t.variant} has no registry`);
  if (r.uplinks.length === 0) throw new Error(`registry ${r.node} has no link to a router`);
  const pairs = r.uplinks.map((u) => `${u.iface} ${u.gateway}`).join(" ");
  return [
    `ip -6 addr replace ${r.address}/128 dev lo`,
    // Everything of the lab (loopbacks, links) is under 2001:db8::/32; no default route.
    `set -- ${pairs}; nh=""; while [ $# -gt 0 ]; do ` +
      `if ip link show dev "$1" >/dev/null 2>&1; then nh="$nh nexthop via $2 dev $1"; fi; shift 2; done; ` +
      `ip -6 route replace 2001:db8::/32 $nh`,
    `REGISTRY_ADDRESS=${r.address} registry-start`,
  ];
}

/** What the convergence wait needs to know about each VTEP. */
export function convergenceTargets(t: Topology): VtepTarget[] {
  return t.nodes
    .filter((n) => n.kind === "vtep")
    .map((n) => ({ ...nodeTarget(t, n.name), node: n.name, loopback: n.loopback ?? "" }));
}

/** Addresses every VTEP must have a route to besides the loopbacks: the registry's service address. */
export function servicePrefixes(t: Topology): string[] {
  return t.registry ? [t.registry.address] : [];
}
