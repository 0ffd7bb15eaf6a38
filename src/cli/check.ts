/** Runs a variant's checks against the running lab of a stack. */
import { runChecks, type RetryPolicy, DEFAULT_RETRY } from "../checks/run";
import type { CheckContext, CheckReport } from "../checks/types";
import { exec } from "../docker/ops";
import { getNode, resolveTopology, specFromConfig, type Topology } from "../model";
import { variantFor } from "../../variants";
import { pulumi } from "./pulumi";

/** The stack's topology, from the same config the program reads. */
export async function stackTopology(stack: string): Promise<Topology> {
  const r = await pulumi(["config", "--json", "--stack", stack]);
  if (r.code !== 0) throw new Error(`pulumi config --stack ${stack}: ${r.stderr.trim()}`);
  const cfg = JSON.parse(r.stdout) as Record<string, { value?: string }>;
  const project = "vxlan-lab";
  return resolveTopology({ ...specFromConfig(stack, (k) => cfg[`${project}:${k}`]?.value), project });
}

export async function checkStack(
  stack: string,
  opts: { policy?: RetryPolicy; onResult?: (name: string, ok: boolean, detail: string) => void } = {},
): Promise<CheckReport> {
  const t = await stackTopology(stack);
  const variant = variantFor(t.variant);
  if (!variant) throw new Error(`variant ${t.variant} has no checks yet`);
  const ctx: CheckContext = {
    t,
    exec: (node, argv) => exec(getNode(t, node).container, argv),
  };
  return runChecks(t.variant, variant.checks(t), ctx, opts.policy ?? DEFAULT_RETRY, (name, o) =>
    opts.onResult?.(name, o.ok, o.detail),
  );
}

export function printResult(name: string, ok: boolean, detail: string): void {
  process.stdout.write(`${ok ? "PASS" : "FAIL"}  ${name}\n      ${detail}\n`);
}
