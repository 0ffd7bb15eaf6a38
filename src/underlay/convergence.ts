/**
 * The underlay has converged when every VTEP has a route to every other VTEP's
 * loopback (and to the service prefixes). Read, not probed: each VTEP streams
 * its route table as JSON a few times a second from one exec, all VTEPs at
 * once, and the deadline holds inside the wait, not between rounds.
 */
import { z } from "zod";
import type { EngineAccess } from "../docker/client";
import { watchLines } from "../docker/exec";
import { parseJson } from "../util/json";

export interface VtepTarget {
  node: string;
  container: string;
  /** The engine that holds it; absent: the default one. */
  engine?: EngineAccess;
  loopback: string;
}

/** `ip -j -6 route show`, the fields read. */
const RoutesSchema = z.array(z.looseObject({ dst: z.string(), type: z.string().optional() }));

/** Pure: the loopbacks and prefixes a VTEP's route table (`ip -j -6 route show`) lacks. */
export function missingRoutes(
  routesJson: string,
  self: VtepTarget,
  all: readonly VtepTarget[],
  services: readonly string[] = [],
): string[] {
  const routes = parseJson(RoutesSchema, routesJson, `${self.node}: ip -j -6 route show`);
  const have = new Set(
    routes
      .filter((r) => r.type === undefined || r.type === "unicast")
      .map((r) => r.dst.replace(/\/128$/, "")),
  );
  return [...all.filter((o) => o !== self).map((o) => o.loopback), ...services].filter((d) => !have.has(d));
}

/**
 * Prints the route table every 200 ms until its stdin closes (EOF: the reader
 * has seen enough, or gave up). A timed-out read (status > 128) goes round again.
 */
const WATCH_ROUTES = [
  "bash",
  "-c",
  "while :; do ip -j -6 route show; IFS= read -r -t 0.2 _; [ $? -gt 128 ] || exit 0; done",
];

/** Resolves with the seconds it took; on timeout the error names every VTEP still missing a route. */
export async function waitConverged(
  all: readonly VtepTarget[],
  timeoutMs: number,
  services: readonly string[] = [],
): Promise<number> {
  const start = Date.now();
  const deadline = start + timeoutMs;
  const lacking = new Map<string, string>();
  await Promise.all(
    all.map(async (v) => {
      lacking.set(v.node, "no route table read yet");
      const r = await watchLines(
        v,
        WATCH_ROUTES,
        (line) => {
          let miss: string[];
          try {
            miss = missingRoutes(line, v, all, services);
          } catch {
            // A line that is not a route table (a stray message): wait for the next one.
            lacking.set(v.node, `unreadable route table: ${line.slice(0, 80)}`);
            return false;
          }
          if (miss.length === 0) lacking.delete(v.node);
          else lacking.set(v.node, `no route to ${miss.join(", ")}`);
          return miss.length === 0;
        },
        deadline,
      );
      if (!r.satisfied && r.code !== 0 && r.stderr.trim()) {
        lacking.set(v.node, `reading routes failed (exit ${r.code}): ${r.stderr.trim()}`);
      }
    }),
  );
  if (lacking.size > 0) {
    const why = [...lacking].map(([node, what]) => `${node}: ${what}`).join("; ");
    throw new Error(`underlay did not converge within ${timeoutMs / 1000}s: ${why}`);
  }
  return (Date.now() - start) / 1000;
}
