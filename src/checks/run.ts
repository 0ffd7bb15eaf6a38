import pRetry from "p-retry";
import type { Check, CheckContext, CheckOutcome, CheckReport } from "./types";

export interface RetryPolicy {
  /** Total time a check may take before its last failure is reported. */
  timeoutMs: number;
  intervalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { timeoutMs: 30_000, intervalMs: 500 };

/** An attempt that did not pass, carried through p-retry to the next one (or out, as the answer). */
class Failed extends Error {
  constructor(readonly outcome: CheckOutcome) {
    super(outcome.detail);
  }
}

/**
 * Retries one check until it passes or the bound runs out; the last failure is
 * the answer. Each retry gets what the previous attempt left to redo.
 */
export async function runCheck(
  check: Check,
  ctx: CheckContext,
  policy = DEFAULT_RETRY,
): Promise<CheckOutcome> {
  const deadline = Date.now() + policy.timeoutMs;
  let retry: unknown;
  let attempts = 0;
  let outcome: CheckOutcome;
  try {
    outcome = await pRetry(
      async () => {
        attempts++;
        let o: CheckOutcome;
        try {
          o = await check.run(ctx, retry);
        } catch (err) {
          o = { ok: false, detail: err instanceof Error ? err.message : String(err) };
        }
        if (!o.ok) throw new Failed(o);
        return o;
      },
      {
        retries: Infinity,
        factor: 1,
        minTimeout: policy.intervalMs,
        // A check that cannot say what failed is run whole again.
        onFailedAttempt: ({ error }) => {
          if (error instanceof Failed) retry = error.outcome.retry;
        },
        // Another attempt only if it starts within the bound.
        shouldRetry: () => Date.now() + policy.intervalMs <= deadline,
      },
    );
  } catch (err) {
    if (!(err instanceof Failed)) throw err;
    outcome = err.outcome;
  }
  const { retry: _left, ...result } = outcome;
  return attempts > 1 && !result.ok
    ? { ...result, detail: `${result.detail} (after ${attempts} attempts)` }
    : result;
}

/**
 * Runs the checks concurrently, each once the checks it reads the traffic of
 * have finished; a quiet check (one that counts packets) runs alone between
 * the checks listed before and after it. Reports them in the variant's order.
 */
export async function runChecks(
  variant: string,
  checks: readonly Check[],
  ctx: CheckContext,
  policy = DEFAULT_RETRY,
  onResult: (name: string, o: CheckOutcome) => void = () => undefined,
): Promise<CheckReport> {
  const started = new Map<Check, Promise<CheckOutcome>>();
  let barrier: Promise<unknown> = Promise.resolve();
  let sinceBarrier: Promise<unknown>[] = [];
  for (const c of checks) {
    const deps = (c.after ?? []).map((d) => {
      const p = started.get(d);
      if (!p) throw new Error(`check "${c.name}" runs after "${d.name}", which is not listed before it`);
      return p;
    });
    const ready = Promise.all([barrier, ...deps, ...(c.quiet ? sinceBarrier : [])]);
    const p = ready.then(() => runCheck(c, ctx, policy)).then((o) => (onResult(c.name, o), o));
    started.set(c, p);
    if (c.quiet) {
      barrier = p;
      sinceBarrier = [];
    } else {
      sinceBarrier.push(p);
    }
  }
  const outcomes = await Promise.all(checks.map((c) => started.get(c) as Promise<CheckOutcome>));
  const report: CheckReport = { variant, ok: true, checks: [], amplification: { perBumFrame: null } };
  checks.forEach((c, i) => {
    const o = outcomes[i] as CheckOutcome;
    report.checks.push({ name: c.name, ok: o.ok, detail: o.detail });
    if (o.perBumFrame !== undefined && report.amplification.perBumFrame === null) {
      report.amplification.perBumFrame = o.perBumFrame;
    }
    report.ok &&= o.ok;
  });
  return report;
}

/** This check, started only once `first` has finished (it makes the traffic whose traces this one reads). */
export const after = (first: Check, check: Check): Check => ({
  ...check,
  after: [...(check.after ?? []), first],
});
