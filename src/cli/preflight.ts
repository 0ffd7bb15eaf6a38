/**
 * What `up` verifies before any container of the stack exists: the engine
 * answers, its kernel can make a VXLAN device, and the state backend takes
 * writes. Each failure says what is wrong and what to do.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { docker, engineAddress, engineAnswers, type EngineAccess } from "../docker/client";
import { copyImage } from "../docker/images";
import { tail } from "../docker/containers";
import { DEFAULTS, engineAccess, enginesInUse } from "../model";
import { stackTopology } from "./check";
import { cacheDir } from "../util/paths";
import { backendPath } from "./pulumi";

export class PreflightError extends Error {}

/** A 32-VTEP stack's state is about 1 MB and Pulumi keeps a backup beside it. */
export const MIN_STATE_BYTES = 8 * 1024 * 1024;

/** Where the backend writes for this stack: its lock, then its state. */
export const stateDirs = (stack: string) => [
  backendPath("locks", "organization", DEFAULTS.project, stack),
  backendPath("stacks", DEFAULTS.project),
];

/** Each directory exists, takes a write, and has room for a state file; a problem per directory that does not. */
export function stateProblems(dirs: readonly string[], minBytes = MIN_STATE_BYTES): string[] {
  const problems: string[] = [];
  for (const dir of dirs) {
    try {
      mkdirSync(dir, { recursive: true });
      const free = Number(statfsSync(dir).bavail) * Number(statfsSync(dir).bsize);
      if (free < minBytes) {
        problems.push(
          `${dir}: ${(free / 1024).toFixed(0)} KiB free, the state needs ${minBytes / 1024 / 1024} MiB`,
        );
        continue;
      }
      // A read-only or quota-limited directory can still report free blocks: write one.
      const probe = join(dir, `.vxlan-lab-probe-${process.pid}`);
      writeFileSync(probe, Buffer.alloc(64 * 1024));
      rmSync(probe, { force: true });
    } catch (err) {
      problems.push(`${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return problems;
}

/**
 * The device kind the VXLAN probe asks for. Tests name a kind no kernel has
 * ("vxlan-absent"): iproute2 then passes the request on without arguments and
 * the kernel answers as one without VXLAN does ("Unknown device type").
 */
export const probeKind = (env: NodeJS.ProcessEnv = process.env) => env.VXLAN_LAB_PROBE_VXLAN_KIND || "vxlan";

/** The probe: a VXLAN device with an IPv6 underlay, made and removed in a namespace of its own. */
export const VXLAN_PROBE = (kind: string) => [
  "sh",
  "-ec",
  `ip link add vxprobe type ${kind}${kind === "vxlan" ? " id 100 dstport 4789 local ::1" : ""} && ip link del vxprobe`,
];

/**
 * Can the engine's kernel make a VXLAN device? Asked through the engine (it
 * may be remote): a throwaway container with no network and NET_ADMIN tries.
 * A kernel that passed once passes again, so the answer is kept per engine
 * and kernel; only a failure costs a container start each time.
 */
export async function vxlanProblem(
  image: string,
  env: NodeJS.ProcessEnv = process.env,
  at?: EngineAccess,
): Promise<string | undefined> {
  const engine = docker(at);
  const info = (await engine.info()) as { ID?: string; KernelVersion?: string };
  const kind = probeKind(env);
  const key = `${info.ID ?? "?"} ${info.KernelVersion ?? "?"} ${kind}`.replace(/[^A-Za-z0-9 ._:-]/g, "_");
  const cache = join(cacheDir(env), "vxlan-probe");
  if (existsSync(cache) && readFileSync(cache, "utf8").split("\n").includes(key)) return undefined;

  const c = await engine.createContainer({
    Image: image,
    Cmd: VXLAN_PROBE(kind),
    Labels: { "vxlan-lab.probe": "vxlan" },
    HostConfig: { NetworkMode: "none", CapAdd: ["NET_ADMIN"], AutoRemove: false },
  });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode === 0) {
      mkdirSync(cacheDir(env), { recursive: true });
      writeFileSync(cache, `${key}\n`, { flag: "a" });
      return undefined;
    }
    const logs = await tail({ container: c.id, ...(at ? { engine: at } : {}) }, 5);
    return `the engine's kernel (${info.KernelVersion ?? "unknown"}) cannot make a VXLAN device: \`ip link add type ${kind}\` said "${logs}". Load the vxlan module on the engine's host (\`modprobe vxlan\`) or use a kernel built with CONFIG_VXLAN`;
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** Every check in order; the first failure throws, before the stack is selected or any container made. */
export async function preflight(stack: string, image: string, variant?: string): Promise<void> {
  if (!(await engineAnswers())) {
    throw new PreflightError(
      `no Docker engine answers at ${engineAddress()}; start it (or run \`scripts/lab bootstrap\`, which starts the local one), then run again. Nothing was created.`,
    );
  }
  const state = stateProblems(stateDirs(stack));
  if (state.length) {
    throw new PreflightError(
      `the Pulumi state cannot be written:\n${state.map((p) => `  - ${p}`).join("\n")}\nfree some space there (the state lives in .pulumi/ of the repository), then run again. Nothing was created.`,
    );
  }
  const vx = await vxlanProblem(image);
  if (vx) throw new PreflightError(`${vx}. Nothing was created.`);
  // The other engines the stack config names: each answers, and its kernel makes VXLAN devices too.
  // A config that does not resolve is Pulumi's to report, with every problem.
  const t = await stackTopology(stack, variant).catch(() => undefined);
  for (const e of t ? enginesInUse(t) : []) {
    const access = engineAccess(e);
    if (!access || access.endpoint === engineAddress()) continue;
    if (!(await engineAnswers(5000, access))) {
      throw new PreflightError(
        `engine ${e.name} does not answer at ${access.endpoint}; start it or fix vxlan-lab:engines in Pulumi.${stack}.yaml, then run again. Nothing was created.`,
      );
    }
    await copyImage(image, access);
    const p = await vxlanProblem(image, process.env, access);
    if (p) throw new PreflightError(`engine ${e.name}: ${p}. Nothing was created.`);
  }
}
