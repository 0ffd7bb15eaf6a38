/** The whole test suite: typecheck, lint, format, then vitest (unit and end-to-end). */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureChromium } from "../bootstrap/browser";
import { ensureTestTools } from "../bootstrap/test-tools";
import { runSteps } from "../bootstrap/steps";
import { z } from "zod";
import { parseJson } from "../util/json";
import { REPO_ROOT } from "../util/paths";
import { run } from "../util/process";

const npx = (args: string[]) => run("npx", args, { cwd: REPO_ROOT, inherit: true });

export async function runTests(args: string[]): Promise<number> {
  // Only the tests need a browser (the live view's end-to-end test); the lab does not.
  await runSteps([
    { name: "test browser", run: ensureChromium },
    { name: "test tools", run: ensureTestTools },
  ]);
  for (const [what, cmd] of [
    ["typecheck", ["tsc", "--noEmit", "-p", "tsconfig.json"]],
    ["lint", ["eslint", "."]],
    ["format", ["prettier", "--check", "."]],
  ] as const) {
    process.stderr.write(`== ${what}\n`);
    if ((await npx([...cmd])).code !== 0) {
      console.log(`${what} failed`);
      console.log("0 passed, 1 failed");
      return 1;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "vxlan-lab-test-"));
  const report = join(dir, "report.json");
  try {
    process.stderr.write("== vitest\n");
    const r = await npx([
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
      ...args,
    ]);
    let passed = 0;
    let failed = 0;
    try {
      const j = parseJson(
        z.looseObject({ numPassedTests: z.number(), numFailedTests: z.number() }),
        readFileSync(report, "utf8"),
        `vitest's JSON report ${report}`,
      );
      passed = j.numPassedTests;
      failed = j.numFailedTests;
    } catch {
      failed = Math.max(1, failed);
    }
    // The plain closing line CI reads.
    console.log(`${passed} passed, ${failed} failed`);
    return r.code !== 0 || failed > 0 || passed === 0 ? 1 : 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
