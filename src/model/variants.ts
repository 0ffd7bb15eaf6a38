// The overlay variants: the seed lab's seven, plus evpn (BGP EVPN); the stack name selects one.
export const VARIANTS = [
  "multicast",
  "unicast-static-default",
  "unicast-static-l2",
  "unicast-static-nd",
  "unicast-static-rsc",
  "unicast-dynamic-l2",
  "unicast-dynamic-nd",
  "evpn",
] as const;

export type VariantName = (typeof VARIANTS)[number];

/** Variants whose FDB and neighbour entries come from a registry, installed by an agent on kernel misses. */
export const DYNAMIC_VARIANTS: readonly VariantName[] = ["unicast-dynamic-l2", "unicast-dynamic-nd"];

export const isDynamic = (v: VariantName): boolean => DYNAMIC_VARIANTS.includes(v);

export function isVariant(s: string): s is VariantName {
  return (VARIANTS as readonly string[]).includes(s);
}
