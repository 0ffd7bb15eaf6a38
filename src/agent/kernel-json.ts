// The kernel tables the agent reads, as iproute2 and nftables print them with
// -j. Each entry is checked on its own: one odd entry is skipped, never the
// whole table (the agent must keep running on whatever the kernel says).
import { z } from "zod";

/** `bridge -j fdb show`, the fields read. */
export const FdbEntrySchema = z.looseObject({
  mac: z.string(),
  dst: z.string().optional(),
  ifname: z.string().optional(),
  master: z.string().optional(),
  state: z.string().optional(),
  flags: z.array(z.string()).optional().default([]),
});

/** `ip -j neigh show`: zebra's and our entries carry extern_learn (a key, or a flag). */
export const NeighEntrySchema = z.looseObject({
  dst: z.string(),
  lladdr: z.string().optional(),
  extern_learn: z.unknown().optional(),
  flags: z.array(z.string()).optional().default([]),
});

/**
 * `nft -j list set ...` elements: with a timeout an element is
 * {"elem": {"val": {"concat": [ip, mac]}, "expires": s}}, without it the bare value.
 */
const ConcatSchema = z.looseObject({ concat: z.tuple([z.string(), z.string()]) });
export const SetElementSchema = z.union([
  z
    .looseObject({ elem: z.looseObject({ val: ConcatSchema, expires: z.number().optional() }) })
    .transform(({ elem }) => ({
      ip: elem.val.concat[0],
      mac: elem.val.concat[1],
      expires: elem.expires ?? 0,
    })),
  ConcatSchema.transform(({ concat }) => ({ ip: concat[0], mac: concat[1], expires: 0 })),
]);
export const NftSetSchema = z.looseObject({
  nftables: z.array(
    z.looseObject({ set: z.looseObject({ elem: z.array(z.unknown()).optional() }).optional() }),
  ),
});

/** The entries of a table that fit `schema`; anything that is not a list gives none. */
export function entries<S extends z.ZodType>(schema: S, table: unknown): z.output<S>[] {
  const list = z.array(z.unknown()).safeParse(table);
  if (!list.success) return [];
  return list.data.flatMap((e) => {
    const r = schema.safeParse(e);
    return r.success ? [r.data] : [];
  });
}
