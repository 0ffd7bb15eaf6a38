/** Runs the pinned Pulumi CLI against this repo's local state backend. */
import { pinnedPulumiVersion, pulumiBinDir, quietEnv } from "../bootstrap/pulumi";
import { REPO_ROOT } from "../util/paths";
import { run, type RunResult } from "../util/proc";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULTS } from "../model";

export function pulumiEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = quietEnv(base);
  return { ...env, PATH: `${pulumiBinDir(pinnedPulumiVersion())}:${env.PATH ?? ""}` };
}

export function pulumi(args: readonly string[], opts: { inherit?: boolean } = {}): Promise<RunResult> {
  return run("pulumi", [...args, "--non-interactive"], {
    cwd: REPO_ROOT,
    env: pulumiEnv(),
    inherit: opts.inherit,
  });
}

/** Where the local backend (Pulumi.yaml: file://./.pulumi) keeps a stack's state. */
const stateFile = (stack: string) =>
  join(REPO_ROOT, ".pulumi", ".pulumi", "stacks", DEFAULTS.project, `${stack}.json`);

/**
 * Selects the stack, creating it on first use (its config file may already be
 * committed). A stack whose state exists needs no CLI call: every command
 * names its stack anyway.
 */
export async function selectStack(stack: string): Promise<void> {
  if (existsSync(stateFile(stack))) return;
  const r = await pulumi(["stack", "select", "--create", stack]);
  if (r.code !== 0) throw new Error(`pulumi stack select --create ${stack}: ${r.stderr.trim()}`);
}

export async function stackExists(stack: string): Promise<boolean> {
  const r = await pulumi(["stack", "ls", "--json"]);
  if (r.code !== 0) throw new Error(`pulumi stack ls: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { name: string }[]).some((s) => s.name === stack);
}
