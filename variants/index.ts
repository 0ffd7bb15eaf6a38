/** Every variant, by name: the stack name selects one. */
import type { VariantName } from "../src/model";
import type { Variant } from "../src/overlay/variant";
import { variant as multicast } from "./multicast";
import { variant as unicastStaticDefault } from "./unicast-static-default";
import { variant as unicastStaticL2 } from "./unicast-static-l2";
import { variant as unicastStaticNd } from "./unicast-static-nd";
import { variant as unicastStaticRsc } from "./unicast-static-rsc";
import { variant as unicastDynamicL2 } from "./unicast-dynamic-l2";
import { variant as unicastDynamicNd } from "./unicast-dynamic-nd";
import { variant as evpn } from "./evpn";

export const VARIANT_IMPLEMENTATIONS: Record<VariantName, Variant> = {
  multicast,
  "unicast-static-default": unicastStaticDefault,
  "unicast-static-l2": unicastStaticL2,
  "unicast-static-nd": unicastStaticNd,
  "unicast-static-rsc": unicastStaticRsc,
  "unicast-dynamic-l2": unicastDynamicL2,
  "unicast-dynamic-nd": unicastDynamicNd,
  evpn,
};

export function variantFor(name: VariantName): Variant | undefined {
  return VARIANT_IMPLEMENTATIONS[name];
}
