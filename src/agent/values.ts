// What the agents publish in the registry, one JSON object per key: written by
// the publisher (local.ts), read back by every agent (state.ts) through these.
import { z } from "zod";
import { isUnicastMac, parseIpv6, parseMac } from "./addr";

/** IPv6 text, normalised (two spellings of one address must not become two keys). */
const ipv6 = z.string().transform((s, ctx) => {
  const v = parseIpv6(s);
  if (v === undefined) ctx.addIssue({ code: "custom", message: "not an IPv6 address" });
  return v ?? "";
});

const unicastMac = z.string().transform((s, ctx) => {
  const m = parseMac(s);
  if (m === undefined || !isUnicastMac(m)) ctx.addIssue({ code: "custom", message: "not a unicast MAC" });
  return m ?? "";
});

/** The value of a mac/<MAC> key: the VTEP behind that MAC. */
export const MacValueSchema = z.looseObject({ vtep: ipv6 });
/** The value of an ip/<IP> key: its MAC and that MAC's VTEP. */
export const IpValueSchema = z.looseObject({ mac: unicastMac, vtep: ipv6 });

export type MacValue = z.input<typeof MacValueSchema>;
export type IpValue = z.input<typeof IpValueSchema>;

/** A registry value read through `schema`; undefined when it is not JSON or not that shape (counted, not fatal). */
export function readValue<S extends z.ZodType>(schema: S, value: string): z.output<S> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    return undefined;
  }
  const r = schema.safeParse(raw);
  return r.success ? r.data : undefined;
}
