/** One bootstrap step: what it did, shown on one line with its duration. */
export interface StepResult {
  name: string;
  /** Short outcome: "up to date", "built vxlan-lab/frr:ab12", "installed docker.io". */
  outcome: string;
  seconds: number;
}

export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

export function formatStep(r: StepResult): string {
  return `${r.name.padEnd(20)} ${r.seconds.toFixed(1).padStart(6)}s  ${r.outcome}`;
}

/** Runs steps in order, printing each as it ends; the first failure stops the rest. */
export async function runSteps(
  steps: readonly { name: string; run: () => Promise<string> }[],
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const t0 = Date.now();
  for (const step of steps) {
    const start = Date.now();
    let outcome: string;
    try {
      outcome = await step.run();
    } catch (err) {
      const seconds = (Date.now() - start) / 1000;
      log(formatStep({ name: step.name, outcome: "FAILED", seconds }));
      const message = err instanceof Error ? err.message : String(err);
      throw new StepError(step.name, `${step.name}: ${message}`);
    }
    const r = { name: step.name, outcome, seconds: (Date.now() - start) / 1000 };
    results.push(r);
    log(formatStep(r));
  }
  log(formatStep({ name: "total", outcome: "", seconds: (Date.now() - t0) / 1000 }));
  return results;
}
