// The resolved topology: the only description of the lab that the rest of the project reads.
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
  /** Underlay link MTU. Default 9000. */
  mtu?: number;
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
  /** service: a non-routing node (the registry) on a router, advertised by the router as a passive link. */
  kind: "underlay" | "access" | "service";
  /** The VTEP side (underlay, access) or the service side. */
  a: LinkEnd;
  /** The router (underlay) or host (access) side. */
  b: LinkEnd;
  mtu: number;
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
  underlay: { mtu: number };
  /**
   * mtu: what hosts, access ports, bridge and VXLAN device must use (underlay mtu minus VXLAN overhead).
   * subnets: 2001:db8:ff::/64, plus 2001:db8:fe::/64 in the route-short-circuit variant.
   */
  overlay: { mtu: number; subnets: OverlaySubnet[] };
  /** Resolved hosts per VTEP, index 0 is S1. */
  placement: number[];
  /** The dynamic variants' registry and the agents that use it; absent in the others. */
  registry?: RegistryParams;
  /** The lab's wiring helper: one container that makes every link (not a lab node). */
  wiring: { container: string; labels: Record<string, string> };
}

export interface RegistryParams {
  node: string;
  /** Bare address on its link, where etcd listens. */
  address: string;
  /** Its router's side of the link: the registry's route to the underlay. */
  gateway: string;
  port: number;
  /** etcd's client URL as the agents reach it. */
  url: string;
  /** Every key of the lab starts with this (per VNI). */
  keyPrefix: string;
  /** VTEP name -> its agent's node name. */
  agents: Record<string, string>;
}
