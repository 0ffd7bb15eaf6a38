/**
 * One run of the shell baseline: inputs from the model into a temp dir,
 * `bench/shell-baseline.sh DIR up`, then `down`, timed from the script's own
 * phase marks.
 *
 *   node --import tsx bench/baseline/run.ts --variant unicast-static-default --vteps 3 [--hosts-per-vtep 2] [--prefix b1]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { execa } from "execa";
import { imageRef } from "../../src/images/definition";
import { resolveTopology, type LabSpec } from "../../src/model";
import { variantFor } from "../../variants";
import { writeBaselineInputs } from "./inputs";
import { benchArgs } from "../args";

const SCRIPT = join(__dirname, "..", "shell-baseline.sh");

export interface BaselineOptions {
  variant: string;
  vteps: number;
  /** Same count behind every VTEP; absent: the model's default placement (1,2,1 at 3 VTEPs). */
  hostsPerVtep?: number;
  /** Part of the container names (`vxbase-<prefix>-<node>`) and the label's value. */
  prefix: string;
}

export interface BaselineResult {
  /** Phase mark -> seconds since the "start" mark. */
  phases: Record<string, number>;
  greenSeconds: number;
  /** From launching `down` to its "destroyed" mark. */
  destroySeconds: number;
}

interface ScriptRun {
  marks: Record<string, number>;
  failure?: string;
  code: number | null;
}

/** Runs the script, forwarding its lines to stderr; collects "phase" marks and a "fail" line. */
async function runScript(dir: string, mode: "up" | "down"): Promise<ScriptRun> {
  const child = execa("bash", [SCRIPT, dir, mode], {
    stdin: "ignore",
    stderr: "inherit",
    buffer: false,
    reject: false,
  });
  const run: ScriptRun = { marks: {}, code: null };
  if (child.stdout) {
    for await (const line of createInterface({ input: child.stdout, crlfDelay: Infinity })) {
      process.stderr.write(`[baseline ${mode}] ${line}\n`);
      const [word, name, ms] = line.split(" ");
      if (word === "phase" && name !== undefined) run.marks[name] = Number(ms);
      if (word === "fail") run.failure = line.slice("fail ".length);
    }
  }
  const r = await child;
  if (r.exitCode === undefined && r instanceof Error) throw r;
  return { ...run, code: r.exitCode ?? null };
}

export async function runBaseline(opts: BaselineOptions): Promise<BaselineResult> {
  const spec: LabSpec = { stack: opts.prefix, variant: opts.variant, vteps: opts.vteps };
  if (opts.hostsPerVtep !== undefined) spec.hostsPerVtep = opts.hostsPerVtep;
  const t = resolveTopology(spec);
  const variant = variantFor(t.variant);
  if (!variant) throw new Error(`variant ${t.variant} has no implementation`);

  const dir = mkdtempSync(join(tmpdir(), "vxbase-"));
  try {
    writeBaselineInputs(t, variant, dir, { frr: imageRef("frr"), host: imageRef("host") }, opts.prefix);
    const up = await runScript(dir, "up");
    const downStart = Date.now();
    const down = await runScript(dir, "down");
    if (up.code !== 0 || up.marks.green === undefined) {
      throw new Error(`baseline not green: ${up.failure ?? `script exited with ${up.code}`}`);
    }
    if (down.code !== 0 || down.marks.destroyed === undefined) {
      throw new Error(`baseline down failed: exit ${down.code}`);
    }
    const start = up.marks.start ?? NaN;
    const phases = Object.fromEntries(
      Object.entries(up.marks).map(([name, ms]) => [name, (ms - start) / 1000]),
    );
    return {
      phases,
      greenSeconds: (up.marks.green - start) / 1000,
      destroySeconds: (down.marks.destroyed - downStart) / 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const arg = benchArgs("bench/baseline/run.ts", ["variant", "vteps", "hosts-per-vtep", "prefix"]);
  const hpv = arg("hosts-per-vtep", "");
  const result = await runBaseline({
    variant: arg("variant", "unicast-static-default"),
    vteps: Number(arg("vteps", "3")),
    ...(hpv !== "" ? { hostsPerVtep: Number(hpv) } : {}),
    prefix: arg("prefix", `b${process.pid}`),
  });
  console.log(JSON.stringify(result, null, 2));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
