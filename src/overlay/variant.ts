import type { Check } from "../checks/types";
import type { ImageName } from "../images/definition";
import type { OverlayHost, Topology, VariantName } from "../model";

/** A variant: what it runs in the nodes and the checks that prove it, side by side. */
export interface Variant {
  name: VariantName;
  /** One line: what the variant demonstrates. */
  summary: string;
  /** Shell commands per node, run once the underlay has converged. */
  commands(t: Topology): Record<string, string[]>;
  checks(t: Topology): Check[];
  /** VXLAN packets one BUM frame from a local host becomes (theory, for the report). */
  amplification(t: Topology): number;
  /** Image of its routers and VTEPs when not "frr" (evpn needs FRR 10.7: "frr-evpn"). */
  frrImage?: ImageName;
  /**
   * Its VTEP commands use vtysh, which needs the container's FRR sockets: they
   * run inside the VTEP (one exec each), not through the wiring helper, which
   * enters only the network namespace.
   */
  talksToFrr?: boolean;
}

export const vtepCount = (t: Topology) => t.nodes.filter((n) => n.kind === "vtep").length;

/** The host whose BUM frames are counted: the first one, behind the first VTEP with hosts. */
export function probeHost(t: Topology): OverlayHost {
  const h = t.hosts[0];
  if (!h) throw new Error("the lab has no host");
  return h;
}

/** Merges per-node command lists, keeping order. */
export function merge(...parts: Record<string, string[]>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p)) (out[k] ??= []).push(...v);
  return out;
}

export const perVtep = (t: Topology, f: (vtep: string) => string[]): Record<string, string[]> =>
  Object.fromEntries(t.nodes.filter((n) => n.kind === "vtep").map((n) => [n.name, f(n.name)]));
