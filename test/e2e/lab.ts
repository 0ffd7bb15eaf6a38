/** Helpers for end-to-end tests: the real engine, the real Pulumi CLI. */
import { pulumi, selectStack } from "../../src/cli/pulumi";
import { destroyStack } from "../../src/cli/destroy";
import { listContainers } from "../../src/docker/containers";
import { z } from "zod";
import { exec } from "../../src/docker/exec";
import { parseJson } from "../../src/util/json";

export { exec };

/** `pulumi` with the stack's config set first; returns the result, never throws. */
export async function up(stack: string, config: Record<string, string> = {}, extra: string[] = []) {
  await selectStack(stack);
  for (const [k, v] of Object.entries(config)) {
    const r = await pulumi(["config", "set", "--stack", stack, k, v]);
    if (r.code !== 0) throw new Error(`config set ${k}: ${r.stderr}`);
  }
  return pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...extra]);
}

/** destroy + stack rm (config file too: test stacks are not committed) + label sweep. */
export async function teardown(stack: string) {
  const { destroy } = await destroyStack(stack, { keepConfig: false });
  return destroy ?? { code: 0, stdout: "", stderr: "" };
}

export const containersOf = (stack: string) => listContainers({ "vxlan-lab.stack": stack });

export async function stackOutputs(stack: string): Promise<Record<string, unknown>> {
  const r = await pulumi(["stack", "output", "--stack", stack, "--json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return parseJson(z.record(z.string(), z.unknown()), r.stdout, `pulumi stack output ${stack}`);
}

/** Fails the test with Pulumi's own output when a command did not succeed. */
export function ok(r: { code: number; stdout: string; stderr: string }, what: string) {
  if (r.code !== 0)
    throw new Error(`${what} exited ${r.code}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
}
