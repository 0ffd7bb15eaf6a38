/** Runs the pinned Pulumi CLI against this repo's local state backend. */
import { pinnedPulumiVersion, pulumiBinDir, quietEnv } from "../bootstrap/pulumi";
import { REPO_ROOT } from "../util/paths";
import { run, type RunResult } from "../util/proc";

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

/** Selects the stack, creating it on first use (its config file may already be committed). */
export async function selectStack(stack: string): Promise<void> {
  const r = await pulumi(["stack", "select", "--create", stack]);
  if (r.code !== 0) throw new Error(`pulumi stack select --create ${stack}: ${r.stderr.trim()}`);
}

export async function stackExists(stack: string): Promise<boolean> {
  const r = await pulumi(["stack", "ls", "--json"]);
  if (r.code !== 0) throw new Error(`pulumi stack ls: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { name: string }[]).some((s) => s.name === stack);
}
