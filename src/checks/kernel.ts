/**
 * The host kernel's IPv6 neighbour table is one for the whole machine; when it
 * overflows, neighbour discovery fails in every namespace at once and pings
 * fail for reasons that have nothing to do with VXLAN. Its statistics (read as
 * JSON from any namespace) count every overflow: the checks must not have
 * caused one, or every other result is in doubt.
 */
import { parseJson } from "../util/json";
import { NtableSchema } from "./schemas";
import type { Check, CheckContext } from "./types";

export async function neighbourTable(
  ctx: CheckContext,
  node: string,
): Promise<{ name: string; table_fulls: number; entries: number; thresh3: number }> {
  const r = await ctx.exec(node, ["ip", "-s", "-j", "ntable", "show", "name", "ndisc_cache"]);
  if (r.code !== 0) throw new Error(`${node}: ip -s -j ntable show exited ${r.code}: ${r.stderr.trim()}`);
  const t = parseJson(NtableSchema, r.stdout, `${node}: ip -s -j ntable show`).find(
    (x) => x.name === "ndisc_cache" && "table_fulls" in x,
  );
  if (!t) throw new Error(`${node}: no ndisc_cache statistics in ip -s -j ntable show`);
  return { name: t.name, table_fulls: t.table_fulls ?? 0, entries: t.entries ?? 0, thresh3: t.thresh3 ?? 0 };
}

/** Read once before the checks (`start`), then a quiet check listed last compares. */
export function neighbourTableGuard(node: string): { start(ctx: CheckContext): Promise<void>; check: Check } {
  let before: number | undefined;
  return {
    async start(ctx) {
      before = (await neighbourTable(ctx, node)).table_fulls;
    },
    check: {
      name: "kernel: the IPv6 neighbour table never overflowed during the checks",
      quiet: true,
      async run(ctx) {
        const now = await neighbourTable(ctx, node);
        if (before === undefined) return { ok: false, detail: "no reading from before the checks" };
        const overflows = now.table_fulls - before;
        return {
          ok: overflows === 0,
          detail:
            overflows === 0
              ? `no overflow (${now.entries} entries machine-wide, limit ${now.thresh3})`
              : `the kernel reported ${overflows} neighbour table overflow(s) (limit gc_thresh3 = ${now.thresh3}): ` +
                `neighbour discovery failed machine-wide, so failed pings above may not be the overlay's fault; ` +
                `raise net.ipv6.neigh.default.gc_thresh1/2/3 on the engine's host`,
        };
      },
    },
  };
}
