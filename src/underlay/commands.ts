/** What each node needs to build the underlay and address the hosts. Pure. */
import { daemonsFile, frrConfig, getNode, prefixOf, type Topology } from "../model";

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
 */
export const FRR_START = [
  "sh",
  "-ec",
  "chown frr:frr /etc/frr/frr.conf /etc/frr/daemons; /usr/lib/frr/frrinit.sh start; exec sleep infinity",
];

/** A host's access link end: its seed MAC and overlay address, set as the link is made. */
export function hostEnd(t: Topology, host: string): { mac: string; addresses: string[] } {
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  return { mac: h.mac, addresses: [h.address] };
}

/**
 * The registry: its address is set with its link; here the one route back into
 * the underlay through its router (it runs no routing daemon), then etcd,
 * waited on until healthy.
 */
export function registryCommands(t: Topology): string[] {
  const r = t.registry;
  if (!r) throw new Error(`variant ${t.variant} has no registry`);
  const iface = getNode(t, r.node).interfaces[0];
  if (!iface?.address) throw new Error(`registry ${r.node} has no addressed link`);
  return [
    // Everything of the lab (loopbacks, links) is under 2001:db8::/32; no default route.
    `ip -6 route replace 2001:db8::/32 via ${r.gateway} dev ${iface.name}`,
    `REGISTRY_ADDRESS=${r.address} registry-start`,
  ];
}

/** What the convergence wait needs to know about each VTEP. */
export function convergenceTargets(t: Topology): { node: string; container: string; loopback: string }[] {
  return t.nodes
    .filter((n) => n.kind === "vtep")
    .map((n) => ({ node: n.name, container: n.container, loopback: n.loopback ?? "" }));
}

/** Prefixes every VTEP must have a route to besides the loopbacks: the registry's link. */
export function servicePrefixes(t: Topology): string[] {
  if (!t.registry) return [];
  const iface = getNode(t, t.registry.node).interfaces[0];
  return iface?.address ? [prefixOf(iface.address)] : [];
}
