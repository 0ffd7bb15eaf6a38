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

/** Loopbacks that do not answer a ping sourced from the VTEP's own loopback. */
export async function unreachable(v: VtepTarget, all: readonly VtepTarget[]): Promise<string[]> {
  const others = all.filter((o) => o !== v);
  const results = await Promise.all(
    others.map((o) => ops.exec(v.container, ["ping", "-6", "-c1", "-W1", "-I", v.loopback, o.loopback])),
  );
  return others.filter((_, i) => results[i]?.code !== 0).map((o) => o.loopback);
}

/** Bounded wait; on timeout the error names every VTEP still missing a peer. */
export async function waitConverged(all: readonly VtepTarget[], timeoutMs: number): Promise<number> {
  const start = Date.now();
  let last: string[] = [];
  while (true) {
    last = [];
    for (const v of all) {
      const missing = await missingRoutes(v, all);
      const bad = missing.length ? missing : await unreachable(v, all);
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
