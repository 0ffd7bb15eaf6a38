/**
 * Repair, measured beside its baseline in the same run (unicast-static-default):
 * - refresh cost: `pulumi up` with nothing to do, without and with --refresh, and the check by which
 *   `scripts/lab up` decides to refresh (state against engine: a container gone, stopped or restarted);
 * - repair: S1 restarted (`docker restart`), then `pulumi up --refresh` + checks until green,
 *   against the other way back to green, destroy + a full up + checks;
 * - dynamic resync (unicast-dynamic-l2, 3 VTEPs): the agent's process killed, and its container
 *   restarted, until S1's agent serves again and S1's FDB holds every remote host, against the
 *   same lab's full up.
 * Writes bench/results/<date>-repair.md. Timings on a shared 2-CPU machine are noisy.
 *
 *   node --import tsx bench/repair.ts [--sizes 3,32] [--runs 2] [--date 2026-12-02]
 */
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { agentStatus } from "../src/checks/agent";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { pulumi } from "../src/cli/pulumi";
import { staleContainers } from "../src/cli/drift";
import { docker } from "../src/docker/client";
import { exec } from "../src/docker/exec";
import { getNode, resolveTopology, type Topology } from "../src/model";
import { loopbackOf } from "../src/overlay/commands";
import { REPO_ROOT } from "../src/util/paths";
import { median, prepareStack, scaleConfig, scaleSpec } from "./lib";
import { benchArgs } from "./args";

const arg = benchArgs("bench/repair.ts", ["sizes", "runs", "date"]);
const sizes = arg("sizes", "3,32").split(",").map(Number);
const runs = Number(arg("runs", "2"));
const date = arg("date", new Date().toISOString().slice(0, 10));
const out = join(REPO_ROOT, "bench", "results", `${date}-repair.md`);

const seconds = async (f: () => Promise<unknown>) => {
  const t0 = Date.now();
  await f();
  return (Date.now() - t0) / 1000;
};

async function up(stack: string, refresh = false): Promise<void> {
  const r = await pulumi([
    "up",
    "--stack",
    stack,
    "--yes",
    "--skip-preview",
    ...(refresh ? ["--refresh"] : []),
  ]);
  if (r.code !== 0) throw new Error(`pulumi up ${stack}: ${r.stdout.slice(-3000)}${r.stderr.slice(-2000)}`);
}

async function green(stack: string): Promise<void> {
  const r = await checkStack(stack, { onResult: () => undefined });
  if (!r.ok)
    throw new Error(
      `${stack} not green: ${r.checks
        .filter((c) => !c.ok)
        .map((c) => c.name)
        .join("; ")}`,
    );
}

interface StaticRow {
  vteps: number;
  full: number;
  noop: number;
  refresh: number;
  staleCheck: number;
  repair: number;
  destroy: number;
}

async function staticRow(vteps: number): Promise<StaticRow> {
  const variant = "unicast-static-default";
  const stack = `bench-repair-${vteps}`;
  const t = resolveTopology(scaleSpec(stack, variant, vteps));
  await prepareStack(stack, scaleConfig(variant, vteps));
  try {
    const full = await seconds(async () => (await up(stack), await green(stack)));
    const noop: number[] = [];
    const refresh: number[] = [];
    const staleCheck: number[] = [];
    for (let i = 0; i < runs; i++) {
      noop.push(await seconds(() => up(stack)));
      refresh.push(await seconds(() => up(stack, true)));
      staleCheck.push(await seconds(() => staleContainers(stack)));
    }
    const repair: number[] = [];
    for (let i = 0; i < runs; i++) {
      await docker().getContainer(getNode(t, "S1").container).restart({ t: 1 });
      repair.push(await seconds(async () => (await up(stack, true), await green(stack))));
    }
    const destroy = await seconds(() => destroyStack(stack, { keepConfig: false }));
    return {
      vteps,
      full,
      noop: median(noop),
      refresh: median(refresh),
      staleCheck: median(staleCheck),
      repair: median(repair),
      destroy,
    };
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
}

/** S1's agent serves again (another PID than `old`, registry up) and S1's FDB holds every remote host. */
async function resynced(t: Topology, old: number, from: number): Promise<number> {
  const remote = t.hosts.filter((h) => h.vtep !== "S1");
  const agent = getNode(t, t.registry?.agents.S1 ?? "").container;
  const ctx = { t, exec: (node: string, argv: string[]) => exec(getNode(t, node).container, argv) };
  for (;;) {
    const s = await agentStatus(ctx, "S1").catch(() => undefined);
    if (s && s.pid !== old && s.registry === "up") {
      const r = await exec(getNode(t, "S1").container, [
        "bridge",
        "-j",
        "fdb",
        "show",
        "dev",
        t.vxlan.device,
      ]);
      const fdb = JSON.parse(r.stdout || "[]") as { mac: string; dst?: string }[];
      if (remote.every((h) => fdb.some((e) => e.mac === h.mac && e.dst === loopbackOf(t, h.vtep))))
        return (Date.now() - from) / 1000;
    }
    if (Date.now() - from > 120_000) throw new Error(`S1's agent did not resync within 120 s (${agent})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function dynamicRow() {
  const variant = "unicast-dynamic-l2";
  const stack = "bench-repair-dyn";
  const t = resolveTopology(scaleSpec(stack, variant, 3));
  const ctx = { t, exec: (node: string, argv: string[]) => exec(getNode(t, node).container, argv) };
  await prepareStack(stack, scaleConfig(variant, 3));
  try {
    const full = await seconds(async () => (await up(stack), await green(stack)));
    const killed: number[] = [];
    const restarted: number[] = [];
    const agent = getNode(t, t.registry?.agents.S1 ?? "").container;
    for (let i = 0; i < runs; i++) {
      let old = (await agentStatus(ctx, "S1")).pid;
      let t0 = Date.now();
      await exec(agent, ["pkill", "-KILL", "-f", "^node /opt/vxlan-agent/agent.js"]);
      killed.push(await resynced(t, old, t0));
      old = (await agentStatus(ctx, "S1")).pid;
      t0 = Date.now();
      await docker().getContainer(agent).restart({ t: 1 });
      restarted.push(await resynced(t, old, t0));
    }
    return { full, killed: median(killed), restarted: median(restarted) };
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
}

function report(rows: StaticRow[], dyn?: Awaited<ReturnType<typeof dynamicRow>>): string {
  const f = (x: number) => x.toFixed(1);
  const lines = [
    `# Repair: refresh cost, repair after a restart, dynamic resync (${date})`,
    "",
    `Machine: shared 2-CPU VM (kernel ${release()}), other sessions running: every figure is noisy.`,
    `Command: \`node --import tsx bench/repair.ts --sizes ${sizes.join(",")} --runs ${runs}\` (medians of ${runs}).`,
    "",
    "## unicast-static-default",
    "",
    "`scripts/lab up` refreshes only when the stale check finds a container gone, stopped or restarted, so a healthy lab pays the check, not the refresh.",
    "",
    "| VTEPs | full up + checks (s) | up, nothing to do (s) | up --refresh, nothing to do (s) | refresh cost | stale check (s) | S1 restarted: up --refresh + checks (s) | destroy (s) | repair / (destroy + full up) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.vteps} | ${f(r.full)} | ${f(r.noop)} | ${f(r.refresh)} | +${f(r.refresh - r.noop)} s (x${(r.refresh / r.noop).toFixed(2)}) | ${r.staleCheck.toFixed(2)} | ${f(r.repair)} | ${f(r.destroy)} | ${(r.repair / (r.destroy + r.full)).toFixed(2)} |`,
    ),
    "",
  ];
  if (dyn) {
    lines.push(
      "## unicast-dynamic-l2, 3 VTEPs: resync of S1's agent",
      "",
      "In sync: S1's agent runs under a new PID, reports the registry up, and S1's FDB holds every remote host at its VTEP.",
      "",
      "| fault | to in sync (s) | baseline: full up + checks (s) | ratio |",
      "|---|---|---|---|",
      `| agent process killed (supervisor restarts it) | ${f(dyn.killed)} | ${f(dyn.full)} | ${(dyn.killed / dyn.full).toFixed(2)} |`,
      `| agent container restarted | ${f(dyn.restarted)} | ${f(dyn.full)} | ${(dyn.restarted / dyn.full).toFixed(2)} |`,
      "",
    );
  }
  return lines.join("\n");
}

async function main() {
  const rows: StaticRow[] = [];
  for (const n of sizes) {
    rows.push(await staticRow(n));
    writeFileSync(out, report(rows));
    console.log(report(rows));
  }
  const dyn = await dynamicRow();
  writeFileSync(out, report(rows, dyn));
  console.log(report(rows, dyn));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
