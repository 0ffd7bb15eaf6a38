/**
 * The multicast variant's plan, without a single point of failure: source-
 * specific multicast (SSM, RFC 4607), so there is no rendezvous point to lose.
 * Every VTEP is a PIM router on both uplinks and sources VXLAN from an address
 * of its own on a veth pair inside it: the VXLAN device sends into `vxs` and
 * joins the group there; the packet comes out of `vxsp`, where the source
 * address lives, so PIM on the VTEP sees its own source as directly connected
 * and forwards it up whichever uplink a router joined it through. Each VTEP
 * joins (S,G) for every other VTEP's source with static MLD state on `vxsp`;
 * PIM builds each tree over either router, and a router's loss is a reverse-
 * path change to the other (measured: R1 stopped, 0 pings lost; fresh
 * neighbour discovery through R2 alone).
 */
import type { Topology } from "./types";

/** The SSM group (ff3x::/96 is SSM's range: pim6d needs no RP for it). */
export const SSM_GROUP = "ff35::100";

/** The veth pair inside a VTEP: the VXLAN device's side, and PIM's side with the source address. */
export const SOURCE_VETH = { vxlan: "vxs", pim: "vxsp" } as const;

/** A VTEP's VXLAN source: next to its loopback (2001:db8:<n>::1 -> 2001:db8:<n>::5). */
export function vxlanSource(t: Topology, vtep: string): string {
  const n = t.nodes.find((x) => x.name === vtep && x.kind === "vtep");
  if (!n?.loopback?.endsWith("::1")) throw new Error(`${vtep} is not a VTEP with a loopback`);
  return `${n.loopback.slice(0, -1)}5`;
}

/** Every VTEP's source but this one's: the (S,G) it joins. */
export function remoteSources(t: Topology, vtep: string): string[] {
  return t.nodes.filter((n) => n.kind === "vtep" && n.name !== vtep).map((n) => vxlanSource(t, n.name));
}
