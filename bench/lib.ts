/**
 * One measured lab: `pulumi up` split into phases (from the timing each
 * resource records in the state), the checks, and `destroy`; with the
 * measured amplification, FDB size and memory per node kind.
 */
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { pulumi, stackExists } from "../src/cli/pulumi";
import { docker, nameOf, type ContainerRef } from "../src/docker/client";
import { listContainers } from "../src/docker/containers";
import { exec } from "../src/docker/exec";
import { z } from "zod";
import { FdbSchema } from "../src/checks/schemas";
import { resolveTopology, specFromConfig, VXLAN, type LabSpec } from "../src/model";
import { checkShape, parseJson } from "../src/util/json";

/** `pulumi stack export`, the parts read: each resource's type, URN and the timing our resources record. */
export const StackExportSchema = z.looseObject({
  deployment: z.looseObject({
    resources: z
      .array(
        z.looseObject({
          type: z.string(),
          urn: z.string(),
          outputs: z
            .looseObject({ timing: z.looseObject({ start: z.number(), end: z.number() }).optional() })
            .optional(),
        }),
      )
      .optional()
      .default([]),
  }),
});
/** The engine's container stats, the memory part (cgroup v1 reports cache, v2 does not). */
export const MemoryStatsSchema = z.looseObject({
  memory_stats: z.looseObject({
    usage: z.number().optional(),
    stats: z.looseObject({ cache: z.number().optional(), inactive_file: z.number().optional() }).optional(),
  }),
});

type Resource = z.output<typeof StackExportSchema>["deployment"]["resources"][number];

async function must(args: string[]): Promise<string> {
  const r = await pulumi(args);
  if (r.code !== 0)
    throw new Error(`pulumi ${args.join(" ")}: ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Phase -> [first start, last end] over the resources of that phase. */
export function phases(resources: Resource[]): Record<string, number> {
  const spans: Record<string, [number, number]> = {};
  for (const r of resources) {
    const t = r.outputs?.timing;
    if (!t) continue;
    const name = r.urn.split("::").pop() ?? "";
    const phase = r.type.endsWith(":Container")
      ? "containers"
      : r.type.endsWith(":Link")
        ? "links"
        : r.type.endsWith(":Converged")
          ? "convergence"
          : r.urn.includes("vxlan-lab:variant:")
            ? "variant"
            : name.endsWith("-etcd")
              ? "registry"
              : "other";
    const s = (spans[phase] ??= [t.start, t.end]);
    s[0] = Math.min(s[0], t.start);
    s[1] = Math.max(s[1], t.end);
  }
  return Object.fromEntries(Object.entries(spans).map(([k, [a, b]]) => [k, (b - a) / 1000]));
}

async function memoryByKind(stack: string): Promise<Record<string, number>> {
  const out: Record<string, number[]> = {};
  for (const c of await listContainers({ "vxlan-lab.stack": stack })) {
    const info = await docker().getContainer(c.id).inspect();
    const kind = info.Config.Labels["vxlan-lab.kind"] ?? "?";
    const stats = await docker().getContainer(c.id).stats({ stream: false });
    const s = checkShape(MemoryStatsSchema, stats, `${c.name}: engine stats`);
    (out[kind] ??= []).push(((s.memory_stats.usage ?? 0) - (s.memory_stats.stats?.cache ?? 0)) / 2 ** 20);
  }
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]),
  );
}

async function fdbEntries(stack: string): Promise<number> {
  const c = (await listContainers({ "vxlan-lab.stack": stack })).find((x) => x.name.endsWith("-s1"));
  if (!c) return NaN;
  const r = await exec(c.name, ["bridge", "-j", "fdb", "show", "dev", VXLAN.device]);
  return parseJson(FdbSchema, r.stdout || "[]", `${c.name}: bridge -j fdb show`).filter((e) =>
    e.flags.includes("self"),
  ).length;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export type Measurement = Awaited<ReturnType<typeof once>>;

export async function once(variant: string, vteps: string, hostsPerVtep: string) {
  const stack = `bench-${variant}`.slice(0, 31);
  await must(["stack", "select", "--create", stack]);
  for (const [k, v] of Object.entries({ variant, vteps, hostsPerVtep }))
    if (v) await must(["config", "set", "--stack", stack, k, v]);
  try {
    const t0 = Date.now();
    await must(["up", "--stack", stack, "--yes", "--skip-preview"]);
    const t1 = Date.now();
    const report = await checkStack(stack);
    const t2 = Date.now();
    const state = parseJson(
      StackExportSchema,
      await must(["stack", "export", "--stack", stack]),
      `pulumi stack export ${stack}`,
    );
    const result = {
      up: (t1 - t0) / 1000,
      checks: (t2 - t1) / 1000,
      green: (t2 - t0) / 1000,
      ok: report.ok,
      failed: report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
      perBumFrame: report.amplification.perBumFrame,
      fdbS1: await fdbEntries(stack),
      memory: await memoryByKind(stack),
      phases: phases(state.deployment.resources),
      destroy: 0,
    };
    const t3 = Date.now();
    await destroyStack(stack, { keepConfig: false });
    result.destroy = (Date.now() - t3) / 1000;
    return result;
  } finally {
    // A failed run leaves nothing either: a second destroy is a no-op.
    await destroyStack(stack, { keepConfig: false });
  }
}

/**
 * `pulumi up` of a stack that stays up: the caller measures, then destroys it
 * (destroyStack, in a finally). Created with `--no-select`, so the workspace's
 * current stack (someone else's, perhaps) stays selected; every call names the stack.
 */
export async function upStack(stack: string, config: Record<string, string>): Promise<void> {
  await prepareStack(stack, config);
  await must(["up", "--stack", stack, "--yes", "--skip-preview"]);
}

/** The stack and its config, without `up`: what a user has before typing the command that is timed. */
export async function prepareStack(stack: string, config: Record<string, string>): Promise<void> {
  // The stack config the Pulumi program will read, checked by the same schema first: a bad size fails here.
  resolveTopology(specFromConfig(stack, (k) => config[k]));
  if (!(await stackExists(stack))) await must(["stack", "init", "--no-select", stack]);
  for (const [k, v] of Object.entries(config)) await must(["config", "set", "--stack", stack, k, v]);
}

/** `pulumi up` of a prepared stack; throws with Pulumi's output when it fails. */
export async function pulumiUp(stack: string): Promise<void> {
  await must(["up", "--stack", stack, "--yes", "--skip-preview"]);
}

/** The scale runs' sizing: the seed's placement at 3 VTEPs, two hosts behind every VTEP above that. */
export const hostsPerVtepAt = (vteps: number): number | undefined => (vteps > 3 ? 2 : undefined);

/** That sizing as stack config (strings, as `pulumi config set` takes them). */
export function scaleConfig(variant: string, vteps: number): Record<string, string> {
  const hpv = hostsPerVtepAt(vteps);
  return { variant, vteps: String(vteps), ...(hpv ? { hostsPerVtep: String(hpv) } : {}) };
}

/** That sizing as the model's spec. */
export function scaleSpec(stack: string, variant: string, vteps: number): LabSpec {
  const hpv = hostsPerVtepAt(vteps);
  return { stack, variant, vteps, ...(hpv ? { hostsPerVtep: hpv } : {}) };
}

/** `iperf3 -J`, the parts read. */
const IperfSchema = z.looseObject({
  end: z.looseObject({
    sum_received: z.looseObject({ bits_per_second: z.number() }),
    streams: z.array(
      z.looseObject({
        sender: z.looseObject({ mean_rtt: z.number().optional(), retransmits: z.number().optional() }),
      }),
    ),
  }),
});

/** TCP throughput and TCP's smoothed RTT from client to target (an address of server), for `seconds`. */
export async function iperf(
  server: ContainerRef,
  client: ContainerRef,
  target: string,
  seconds: number,
  bind?: string,
) {
  await exec(server, ["sh", "-c", "pkill iperf3 || true"]);
  await exec(server, ["sh", "-c", "iperf3 -s -D -1"]);
  await new Promise((r) => setTimeout(r, 300));
  const r = await exec(client, [
    "iperf3",
    "-J",
    "-c",
    target,
    "-t",
    String(seconds),
    ...(bind ? ["-B", bind] : []),
  ]);
  if (r.code !== 0)
    throw new Error(`iperf3 ${nameOf(client)} -> ${target}: ${r.stdout.slice(-500)} ${r.stderr}`);
  const j = parseJson(IperfSchema, r.stdout, `iperf3 -J ${nameOf(client)} -> ${target}`);
  const s = j.end.streams[0]?.sender;
  return {
    gbps: j.end.sum_received.bits_per_second / 1e9,
    rttMs: (s?.mean_rtt ?? NaN) / 1000,
    retransmits: s?.retransmits ?? NaN,
  };
}
