/** Runs the pinned Pulumi CLI against this repo's local state backend. */
import { pinnedPulumiVersion, pulumiBinDir, quietEnv } from "../bootstrap/pulumi";
import { REPO_ROOT } from "../util/paths";
import { run, type ExecResult } from "../util/process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULTS } from "../model";
import { parseJson } from "../util/json";

export function pulumiEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env = quietEnv(base);
  return { ...env, PATH: `${pulumiBinDir(pinnedPulumiVersion())}:${env.PATH ?? ""}` };
}

export function pulumi(args: readonly string[], opts: { inherit?: boolean } = {}): Promise<ExecResult> {
  return run("pulumi", [...args, "--non-interactive"], {
    cwd: REPO_ROOT,
    env: pulumiEnv(),
    inherit: opts.inherit,
  });
}

/** A path inside the local backend (Pulumi.yaml: file://./.pulumi), the one place that knows its layout. */
export const backendPath = (...parts: string[]) => join(REPO_ROOT, ".pulumi", ".pulumi", ...parts);

/** Where the local backend keeps a stack's state. */
export const stateFile = (stack: string) => backendPath("stacks", DEFAULTS.project, `${stack}.json`);

/**
 * Selects the stack, creating it on first use (its config file may already be
 * committed). A stack whose state exists needs no CLI call: every command
 * names its stack anyway.
 */
export async function selectStack(stack: string): Promise<void> {
  if (await stackExists(stack)) return;
  const r = await pulumi(["stack", "select", "--create", stack]);
  if (r.code !== 0) throw new Error(`pulumi stack select --create ${stack}: ${r.stderr.trim()}`);
}

/** A stack exists when the local backend holds its state file (no CLI call needed). */
export async function stackExists(stack: string): Promise<boolean> {
  return existsSync(stateFile(stack));
}

/** A stack's state file in the local backend, the parts read: its containers' names and init PIDs. */
const StateFileSchema = z.looseObject({
  checkpoint: z
    .looseObject({
      latest: z
        .looseObject({
          resources: z
            .array(
              z.looseObject({
                type: z.string(),
                outputs: z
                  .looseObject({ name: z.string().optional(), pid: z.number().optional() })
                  .optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** Name -> init PID of the containers the stack's last saved state holds (read straight from the local backend). */
export function trackedPids(stack: string): Map<string, number | undefined> {
  if (!existsSync(stateFile(stack))) return new Map();
  const state = parseJson(StateFileSchema, readFileSync(stateFile(stack), "utf8"), stateFile(stack));
  return new Map(
    (state.checkpoint?.latest?.resources ?? [])
      .filter((r) => r.type.endsWith(":Container"))
      .map((r) => [r.outputs?.name ?? "", r.outputs?.pid]),
  );
}

/** Names of the containers the stack's last saved state holds. */
export function trackedContainers(stack: string): Set<string> {
  return new Set(trackedPids(stack).keys());
}
