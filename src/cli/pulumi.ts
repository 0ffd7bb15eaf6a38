/** Runs the pinned Pulumi CLI against this repo's local state backend. */
import { pinnedPulumiVersion, pulumiBinDir, quietEnv } from "../bootstrap/pulumi";
import { REPO_ROOT } from "../util/paths";
import { run, type ExecResult } from "../util/process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULTS } from "../model";
import type { EngineAccess } from "../docker/client";
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

const EngineSchema = z.object({ endpoint: z.string(), tls: z.string().optional() });
const LinkEndSchema = z.looseObject({
  container: z.string(),
  pid: z.number(),
  iface: z.string(),
  engine: EngineSchema.optional(),
});

/** A stack's state file in the local backend, the parts read: its containers' names and init PIDs, its links' ends. */
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
                  .looseObject({
                    name: z.string().optional(),
                    pid: z.number().optional(),
                    engine: EngineSchema.optional(),
                    // A Link's ends and the helper that made it.
                    a: LinkEndSchema.optional(),
                    b: LinkEndSchema.optional(),
                    helper: z
                      .union([z.string(), z.object({ container: z.string(), engine: EngineSchema })])
                      .optional(),
                    tunnel: z.unknown().optional(),
                  })
                  .optional(),
              }),
            )
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** A container the stack's state holds: its name (unique within the stack), init PID and engine. */
export interface TrackedContainer {
  name: string;
  pid?: number;
  /** Absent: the default engine. */
  engine?: EngineAccess;
}

/** The containers the stack's last saved state holds (read straight from the local backend). */
export function trackedNodes(stack: string): TrackedContainer[] {
  if (!existsSync(stateFile(stack))) return [];
  const state = parseJson(StateFileSchema, readFileSync(stateFile(stack), "utf8"), stateFile(stack));
  return (state.checkpoint?.latest?.resources ?? [])
    .filter((r) => r.type.endsWith(":Container"))
    .map((r) => ({
      name: r.outputs?.name ?? "",
      ...(r.outputs?.pid !== undefined ? { pid: r.outputs.pid } : {}),
      ...(r.outputs?.engine ? { engine: r.outputs.engine } : {}),
    }));
}

/** A veth the stack's state holds: its ends (container, init PID, interface) and the helper that sees both. */
export interface TrackedLink {
  a: { container: string; pid: number; iface: string };
  b: { container: string; pid: number; iface: string };
  helper: string | { container: string; engine: EngineAccess };
}

/** The veth links of the stack's last saved state (tunnels between engines left out). */
export function trackedLinks(stack: string): TrackedLink[] {
  if (!existsSync(stateFile(stack))) return [];
  const state = parseJson(StateFileSchema, readFileSync(stateFile(stack), "utf8"), stateFile(stack));
  return (state.checkpoint?.latest?.resources ?? []).flatMap((r) => {
    const o = r.outputs;
    if (!r.type.endsWith(":Link") || !o?.a || !o.b || !o.helper || o.tunnel) return [];
    return [{ a: o.a, b: o.b, helper: o.helper }];
  });
}

/** Name -> init PID of the containers the stack's last saved state holds. */
export function trackedPids(stack: string): Map<string, number | undefined> {
  return new Map(trackedNodes(stack).map((c) => [c.name, c.pid]));
}

/** Names of the containers the stack's last saved state holds. */
export function trackedContainers(stack: string): Set<string> {
  return new Set(trackedPids(stack).keys());
}
