import type { Check, CheckContext, CheckOutcome, CheckReport } from "./types";

export interface RetryPolicy {
  /** Total time a check may take before its last failure is reported. */
  timeoutMs: number;
  intervalMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { timeoutMs: 30_000, intervalMs: 500 };

/** Retries one check until it passes or the bound runs out; the last failure is the answer. */
export async function runCheck(
  check: Check,
  ctx: CheckContext,
  policy = DEFAULT_RETRY,
): Promise<CheckOutcome> {
  const deadline = Date.now() + policy.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    let outcome: CheckOutcome;
    try {
      outcome = await check.run(ctx);
    } catch (err) {
      outcome = { ok: false, detail: err instanceof Error ? err.message : String(err) };
    }
    if (outcome.ok || Date.now() + policy.intervalMs > deadline) {
      return attempt > 1 && !outcome.ok
        ? { ...outcome, detail: `${outcome.detail} (after ${attempt} attempts)` }
        : outcome;
    }
    await new Promise((r) => setTimeout(r, policy.intervalMs));
  }
}

export async function runChecks(
  variant: string,
  checks: readonly Check[],
  ctx: CheckContext,
  policy = DEFAULT_RETRY,
  onResult: (name: string, o: CheckOutcome) => void = () => undefined,
): Promise<CheckReport> {
  const report: CheckReport = { variant, ok: true, checks: [], amplification: { perBumFrame: null } };
  for (const c of checks) {
    const o = await runCheck(c, ctx, policy);
    onResult(c.name, o);
    report.checks.push({ name: c.name, ok: o.ok, detail: o.detail });
    if (o.perBumFrame !== undefined && report.amplification.perBumFrame === null) {
      report.amplification.perBumFrame = o.perBumFrame;
    }
    report.ok &&= o.ok;
  }
  return report;
}
