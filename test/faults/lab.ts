/** Helpers for the fault suite: the real CLI as a user runs it, the real engine, the state as Pulumi saved it. */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { checkStack } from "../../src/cli/check";
import { backendPath, stackExists, stateFile } from "../../src/cli/pulumi";
import { docker } from "../../src/docker/client";
import { listContainers } from "../../src/docker/containers";
import { exec } from "../../src/docker/exec";
import { DEFAULTS, getNode, resolveTopology, type Topology, type VariantName } from "../../src/model";
import { REPO_ROOT } from "../../src/util/paths";

export { exec };

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  ms: number;
}

/**
 * `scripts/lab <args>` in a process group of its own (so that a kill reaches
 * Pulumi and its plugins too), output captured. `killAfterMs` SIGKILLs the group.
 */
export function lab(
  args: string[],
  opts: { killAfterMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliRun> {
  const t0 = Date.now();
  const child = spawn(join(REPO_ROOT, "scripts", "lab"), args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...opts.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const timer =
    opts.killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          if (child.pid) process.kill(-child.pid, "SIGKILL");
        }, opts.killAfterMs);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, ms: Date.now() - t0 });
    });
  });
}

/** Fails with the run's own output when it did not exit 0. */
export function ok(r: CliRun, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code ?? r.signal}\n${r.out.slice(-6000)}`);
}

export const up = (variant: VariantName, stack: string, env?: NodeJS.ProcessEnv) =>
  lab(["up", variant, "--stack", stack], { env });
export const destroy = (variant: VariantName, stack: string) => lab(["destroy", variant, "--stack", stack]);

export const topology = (variant: VariantName, stack: string): Topology =>
  resolveTopology({ stack, variant, project: DEFAULTS.project });

/** Runs a node's command by lab node name. */
export const inNode = (t: Topology, node: string, argv: string[]) => exec(getNode(t, node).container, argv);

/** The variant's checks against the running lab: names of the failing ones (empty when green). */
export async function failingChecks(stack: string, opts: { once?: boolean } = {}): Promise<string[]> {
  // once: a lab known broken fails at the first try instead of retrying for the default 30 s.
  const policy = opts.once ? { timeoutMs: 0, intervalMs: 0 } : undefined;
  const r = await checkStack(stack, { onResult: () => undefined, policy });
  return r.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

export const containersOf = (stack: string) => listContainers({ "vxlan-lab.stack": stack });

/** Containers named after the stack, whatever their labels (vxlab-<stack>-<node>). */
export async function containersNamed(stack: string): Promise<string[]> {
  const all = await docker().listContainers({ all: true, filters: { name: [`vxlab-${stack}-`] } });
  return all.map((c) => (c.Names[0] ?? "").replace(/^\//, "")).filter((n) => n.startsWith(`vxlab-${stack}-`));
}

/** Per resource (by URN name), when its create ran: a resource made again gets a new start. */
export function createdAt(stack: string): Map<string, number> {
  const state = JSON.parse(readFileSync(stateFile(stack), "utf8")) as {
    checkpoint: { latest: { resources?: { urn: string; outputs?: { timing?: { start: number } } }[] } };
  };
  const m = new Map<string, number>();
  for (const r of state.checkpoint.latest.resources ?? []) {
    if (r.outputs?.timing) m.set(r.urn.slice(r.urn.lastIndexOf("::") + 2), r.outputs.timing.start);
  }
  return m;
}

/** Nothing of the stack is left: no container by label or name, no state, no lock. */
export async function leftovers(stack: string): Promise<string[]> {
  const lock = backendPath("locks", "organization", DEFAULTS.project, stack);
  return [
    ...(await containersOf(stack)).map((c) => `container ${c.name}`),
    ...(await containersNamed(stack)).map((n) => `container named ${n}`),
    ...((await stackExists(stack)) ? [`state ${stateFile(stack)}`] : []),
    ...(existsSync(lock) ? readdirSync(lock).map((f) => `lock ${f}`) : []),
    ...(existsSync(join(REPO_ROOT, `Pulumi.${stack}.yaml`)) ? [`config Pulumi.${stack}.yaml`] : []),
  ];
}

/** Interfaces of the engine host's own network namespace (reached through dockerd's), by name and kind. */
export async function hostInterfaces(): Promise<{ ifname: string; kind?: string; addrs: string[] }[]> {
  const { run } = await import("../../src/util/process");
  const pid = (await run("pgrep", ["-o", "-x", "dockerd"])).stdout.trim();
  if (!pid) throw new Error("no dockerd on this machine to find the engine host's namespace by");
  const r = await run("nsenter", ["-t", pid, "-n", "ip", "-j", "-d", "addr", "show"]);
  if (r.code !== 0) throw new Error(`nsenter into the engine host: ${r.stderr}`);
  const list = JSON.parse(r.stdout) as {
    ifname: string;
    linkinfo?: { info_kind?: string };
    addr_info?: { local: string }[];
  }[];
  return list.map((i) => ({
    ifname: i.ifname,
    kind: i.linkinfo?.info_kind,
    addrs: (i.addr_info ?? []).map((a) => a.local),
  }));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until f holds or ms pass; the last value either way. */
export async function until<T>(f: () => Promise<T>, holds: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!holds(v) && Date.now() < deadline) {
    await sleep(500);
    v = await f();
  }
  return v;
}
