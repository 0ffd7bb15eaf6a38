/** Runs a variant's checks against the running lab of a stack. */
import { runChecks, type RetryPolicy, DEFAULT_RETRY } from "../checks/run";
import type { CheckContext, CheckReport } from "../checks/types";
import { exec } from "../docker/exec";
import { neighbourTableGuard } from "../checks/kernel";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as yaml from "js-yaml";
import { DEFAULTS, nodeTarget, resolveTopology, specFromConfig, type Topology } from "../model";
import { REPO_ROOT } from "../util/paths";
import { variantFor } from "../../variants";
import { driftWarning, requireDeployed } from "./deployed";

/**
 * The topology Pulumi.<stack>.yaml describes now (plain values only): for
 * drawing a stack that is not up. Everything else reads the deployed one (./deployed.ts).
 */
export async function stackTopology(stack: string, variant?: string): Promise<Topology> {
  const project = DEFAULTS.project;
  const file = join(REPO_ROOT, `Pulumi.${stack}.yaml`);
  const doc = existsSync(file)
    ? (yaml.load(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)
    : null;
  const cfg = doc?.config ?? {};
  const get = (k: string) => {
    const v = cfg[`${project}:${k}`];
    return v === undefined || v === null ? undefined : typeof v === "object" ? JSON.stringify(v) : String(v);
  };
  // `scripts/lab up <variant> --stack <name>` sets the variant only after its preflight.
  const withVariant = (k: string) => get(k) ?? (k === "variant" ? variant : undefined);
  return resolveTopology({ ...specFromConfig(stack, withVariant), project });
}

export async function checkStack(
  stack: string,
  opts: { policy?: RetryPolicy; onResult?: (name: string, ok: boolean, detail: string) => void } = {},
): Promise<CheckReport> {
  // The lab as deployed, not as Pulumi.<stack>.yaml may say since.
  const d = requireDeployed(stack);
  const warning = driftWarning(d);
  if (warning) process.stderr.write(`${warning}\n`);
  const t = d.topology;
  const variant = variantFor(t.variant);
  if (!variant) throw new Error(`variant ${t.variant} has no checks yet`);
  const ctx: CheckContext = {
    t,
    // Each node on the engine that holds it.
    exec: (node, argv) => exec(nodeTarget(t, node), argv),
  };
  const vtep = t.nodes.find((n) => n.kind === "vtep");
  if (!vtep) throw new Error(`${stack} has no VTEP to check from`);
  const guard = neighbourTableGuard(vtep.name);
  await guard.start(ctx);
  return runChecks(
    t.variant,
    [...variant.checks(t), guard.check],
    ctx,
    opts.policy ?? DEFAULT_RETRY,
    (name, o) => opts.onResult?.(name, o.ok, o.detail),
  );
}

export function printResult(name: string, ok: boolean, detail: string): void {
  process.stdout.write(`${ok ? "PASS" : "FAIL"}  ${name}\n      ${detail}\n`);
}
