/** The underlay is converged when every VTEP loopback reaches every other. */
import * as ops from "../docker/ops";

export interface VtepTarget {
  node: string;
  container: string;
  loopback: string;
}

/** Loopbacks a VTEP has no route to yet, read from the kernel as JSON. */
export async function missingRoutes(v: VtepTarget, all: readonly VtepTarget[]): Promise<string[]> {
  const r = await ops.exec(v.container, ["ip", "-j", "-6", "route", "show"]);
  if (r.code !== 0) return all.filter((o) => o !== v).map((o) => o.loopback);
  const dsts = new Set((JSON.parse(r.stdout) as { dst: string }[]).map((e) => e.dst.replace(/\/128$/, "")));
  return all.filter((o) => o !== v && !dsts.has(o.loopback)).map((o) => o.loopback);
}

/** Loopbacks (and service addresses) that do not answer a ping sourced from the VTEP's own loopback. */
export async function unreachable(
  v: VtepTarget,
  all: readonly VtepTarget[],
  services: readonly string[] = [],
): Promise<string[]> {
  const others = [...all.filter((o) => o !== v).map((o) => o.loopback), ...services];
  const results = await Promise.all(
    others.map((a) => ops.exec(v.container, ["ping", "-6", "-c1", "-W1", "-I", v.loopback, a])),
  );
  return others.filter((_, i) => results[i]?.code !== 0);
}

/**
 * Bounded wait; on timeout the error names every VTEP still missing a peer.
 * services: addresses every VTEP must reach too (the registry of the dynamic variants).
 */
export async function waitConverged(
  all: readonly VtepTarget[],
  timeoutMs: number,
  services: readonly string[] = [],
): Promise<number> {
  const start = Date.now();
  let last: string[] = [];
  while (true) {
    last = [];
    for (const v of all) {
      const missing = await missingRoutes(v, all);
      const bad = missing.length ? missing : await unreachable(v, all, services);
      if (bad.length)
        last.push(`${v.node} cannot reach ${bad.join(", ")}${missing.length ? " (no route)" : ""}`);
    }
    if (last.length === 0) return (Date.now() - start) / 1000;
    if (Date.now() - start > timeoutMs) {
      throw new Error(`underlay did not converge within ${timeoutMs / 1000}s: ${last.join("; ")}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
