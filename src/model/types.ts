// The resolved topology: the only description of the lab that the rest of the project reads.
import type { EngineSpec, EnginesSpec } from "./engines";
import type { BfdTimers } from "./bfd";
import type { VariantName } from "./variants";

/**
 * registry: the dynamic variants' key-value store (etcd) on the underlay.
 * agent: a VTEP's controller, a sidecar sharing that VTEP's network namespace.
 */
export type NodeKind = "router" | "vtep" | "host" | "registry" | "agent";

/** Raw input, as a user or the stack config gives it. Checked by resolveTopology. */
export interface LabSpec {
  /** Default "vxlan-lab". */
  project?: string;
  stack: string;
  variant: string;
  /** Default 3. */
  vteps?: number;
  /** Default 2. */
  routers?: number;
  /** Same host count behind every VTEP. Exclusive with placement. */
  hostsPerVtep?: number;
  /** Hosts per VTEP, e.g. [1,2,1] (the seed's, and the default for 3 VTEPs). Exclusive with hostsPerVtep. */
  placement?: number[];
  /** Underlay link MTU. Default 9000, or what the tunnels between engines carry. */
  mtu?: number;
  /** BFD interval on the underlay links, ms. Default by lab size (bfd.ts). */
  bfdInterval?: number;
  /** Docker engines by name (see engines.ts); default: one, DOCKER_HOST or the local socket. */
  engines?: Record<string, string | EngineSpec>;
  /** Which engine holds each node: "first" (default), "spread", or node name -> engine name. */
  enginePlacement?: EnginesSpec["enginePlacement"];
}

/** A Docker engine of the lab, resolved. */
export interface Engine {
  name: string;
  /** unix://, tcp:// or ssh://; absent: DOCKER_HOST or the local socket. */
  endpoint?: string;
  /** tcp:// with TLS: a directory with ca.pem, cert.pem and key.pem. */
  tls?: string;
  /** The engine host's address for tunnels from the other engines. */
  address?: string;
  /** Path MTU between the engine hosts. */
  mtu: number;
}

/**
 * A link whose ends sit on two engines: a point-to-point VXLAN tunnel between
 * the engine hosts (its own VNI and UDP port), one end made in each host's
 * network namespace and moved into the node.
 */
export interface LinkTunnel {
  vni: number;
  port: number;
  aEngine: string;
  bEngine: string;
  /** Where the a end sends: the b end's engine host, and the other way round. */
  aRemote: string;
  bRemote: string;
}

export interface Iface {
  name: string;
  /** Name of the Link this interface is one end of. */
  link: string;
  peer: { node: string; iface: string };
  /** With "/len"; absent on access ports. */
  address?: string;
}

export interface LinkEnd {
  node: string;
  iface: string;
  /** With "/len". */
  address?: string;
}

export interface Link {
  /** "<a>-<b>" in lower case, e.g. "s1-r1" or "s2-h2". */
  name: string;
  /** service: a non-routing node (the registry) on a router; the router advertises the link and the node's service address. */
  kind: "underlay" | "access" | "service";
  /** The VTEP side (underlay, access) or the service side. */
  a: LinkEnd;
  /** The router (underlay) or host (access) side. */
  b: LinkEnd;
  mtu: number;
  /** Present when the ends are on different engines. */
  tunnel?: LinkTunnel;
}

export interface LabNode {
  name: string;
  kind: NodeKind;
  container: string;
  labels: Record<string, string>;
  /** On `lo`, without prefix length (it is a /128). Routers and VTEPs only. */
  loopback?: string;
  /** OSPFv3 router ID (dotted quad). Routers and VTEPs only. */
  routerId?: string;
  interfaces: Iface[];
  /** A sidecar shares this node's network namespace and has no interfaces of its own. */
  netns?: string;
  /** Added on top of the engine's default capability set. */
  capabilities: string[];
  sysctls: Record<string, string>;
  /** The engine that holds the node (a sidecar: its VTEP's). */
  engine: string;
}

/** The router a host believes in, in the route-short-circuit variant (it never exists). */
export interface OverlayGateway {
  /** Bare address, no length. */
  address: string;
  mac: string;
}

export interface OverlayHost {
  name: string;
  vtep: string;
  /** Interface name on the VTEP (its bridge port). */
  vtepPort: string;
  mac: string;
  /** With "/64". */
  address: string;
  /** unicast-static-rsc only: default route via this (absent) router, with a static ND entry. */
  gateway?: OverlayGateway;
}

export interface OverlaySubnet {
  prefix: string;
  gateway?: OverlayGateway;
}

export interface VxlanParams {
  vni: number;
  port: number;
  ttl: number;
  /** Multicast group, used by the "multicast" variant only. */
  group: string;
  device: string;
  bridge: string;
  overlayPrefix: string;
}

export interface Topology {
  project: string;
  stack: string;
  variant: VariantName;
  /** Routers R1.., then VTEPs S1.., then hosts H1.., then (dynamic variants) the registry and one agent per VTEP. */
  nodes: LabNode[];
  /** Underlay links (S1-R1, S1-R2, S2-R1, ...), then access links in host order. */
  links: Link[];
  hosts: OverlayHost[];
  vxlan: VxlanParams;
  /** bfd: the underlay links' timers (bfd.ts), from `bfdInterval` or the lab's size. */
  underlay: { mtu: number; bfd: BfdTimers };
  /**
   * mtu: what hosts, access ports, bridge and VXLAN device must use (underlay mtu minus VXLAN overhead).
   * subnets: 2001:db8:ff::/64, plus 2001:db8:fe::/64 in the route-short-circuit variant.
   */
  overlay: { mtu: number; subnets: OverlaySubnet[] };
  /** Resolved hosts per VTEP, index 0 is S1. */
  placement: number[];
  /** The dynamic variants' registry and the agents that use it; absent in the others. */
  registry?: RegistryParams;
  /** The engines, in name order (the default one alone when the config names none); nodes name theirs. */
  engines: Engine[];
  /** The lab's wiring helper: one container per engine that makes its links (not a lab node). */
  wiring: { container: string; labels: Record<string, string> };
}

export interface RegistryParams {
  node: string;
  /** Bare service address, on the registry's lo; etcd listens on every address. */
  address: string;
  /** Its link to each router: the registry's (multipath) route back into the underlay. */
  uplinks: { iface: string; router: string; gateway: string }[];
  port: number;
  /** etcd's client URL as the agents reach it. */
  url: string;
  /** Every key of the lab starts with this (per VNI). */
  keyPrefix: string;
  /** VTEP name -> its agent's node name. */
  agents: Record<string, string>;
}
