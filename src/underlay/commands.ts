/** What runs inside each node to build the underlay and address the hosts. Pure. */
import { daemonsFile, frrConfig, type Topology } from "../model";

/** Writes a file through a shell without quoting trouble. */
export function writeFile(path: string, content: string): string {
  return `printf %s '${Buffer.from(content).toString("base64")}' | base64 -d > ${path}`;
}

/** Routers and VTEPs: FRR's config, then FRR under its own watchdog (the node's init reaps). */
export function frrCommands(t: Topology, node: string): string[] {
  return [
    writeFile("/etc/frr/daemons", daemonsFile(t, node)),
    writeFile("/etc/frr/frr.conf", frrConfig(t, node)),
    "chown frr:frr /etc/frr/frr.conf /etc/frr/daemons",
    // restart, not start: a rerun (new config, rewired links) must load the new frr.conf.
    "/usr/lib/frr/frrinit.sh restart >/dev/null",
  ];
}

/** A host: its seed MAC and overlay address on eth0, sized for the overlay MTU. */
export function hostCommands(t: Topology, host: string): string[] {
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host}`);
  return [
    `ip link set eth0 address ${h.mac} mtu ${t.overlay.mtu}`,
    // A rerun replaces the address instead of adding a second one.
    "ip -6 addr flush dev eth0 scope global",
    `ip -6 addr add ${h.address} dev eth0 nodad`,
    "ip link set eth0 up",
  ];
}

/**
 * The registry: its link address, one route back into the underlay through
 * its router (it runs no routing daemon), then etcd, waited on until healthy.
 */
export function registryCommands(t: Topology): string[] {
  const r = t.registry;
  if (!r) throw new Error(`variant ${t.variant} has no registry`);
  const n = t.nodes.find((x) => x.name === r.node);
  const iface = n?.interfaces[0];
  if (!iface?.address) throw new Error(`registry ${r.node} has no addressed link`);
  return [
    "ip -6 addr flush dev " + iface.name + " scope global",
    `ip -6 addr add ${iface.address} dev ${iface.name} nodad`,
    `ip link set ${iface.name} up`,
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
