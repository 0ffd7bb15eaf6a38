/**
 * Time to green per variant: `pulumi up` split into phases (from the timing
 * each resource records in the state), the checks, and `destroy`; with the
 * measured amplification, FDB size and memory per node kind. Prints figures.
 *
 *   node --import tsx bench/time-to-green.ts [--variants a,b] [--vteps N] [--hosts-per-vtep K] [--runs R]
 */
import { checkStack } from "../src/cli/check";
import { pulumi } from "../src/cli/pulumi";
import { docker } from "../src/docker/client";
import { exec, listContainers } from "../src/docker/ops";
import { VARIANTS } from "../src/model";
import { variantFor } from "../variants";

interface Resource {
  type: string;
  urn: string;
  outputs?: { timing?: { start: number; end: number } };
}

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};

async function must(args: string[]): Promise<string> {
  const r = await pulumi(args);
  if (r.code !== 0)
    throw new Error(`pulumi ${args.join(" ")}: ${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`);
  return r.stdout;
}

/** Phase -> [first start, last end] over the resources of that phase. */
function phases(resources: Resource[]): Record<string, number> {
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
            : name.endsWith("-frr")
              ? "frr start"
              : "host addressing";
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
    const s = (await docker().getContainer(c.id).stats({ stream: false })) as unknown as {
      memory_stats: { usage?: number; stats?: { cache?: number } };
    };
    (out[kind] ??= []).push(((s.memory_stats.usage ?? 0) - (s.memory_stats.stats?.cache ?? 0)) / 2 ** 20);
  }
  return Object.fromEntries(
    Object.entries(out).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]),
  );
}

async function fdbEntries(stack: string): Promise<number> {
  const c = (await listContainers({ "vxlan-lab.stack": stack })).find((x) => x.name.endsWith("-s1"));
  if (!c) return NaN;
  const r = await exec(c.name, ["bridge", "-j", "fdb", "show", "dev", "vxlan100"]);
  return (JSON.parse(r.stdout || "[]") as { flags: string[] }[]).filter((e) => e.flags.includes("self"))
    .length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function once(variant: string, vteps: string, hostsPerVtep: string) {
  const stack = `bench-${variant}`.slice(0, 31);
  await must(["stack", "select", "--create", stack]);
  for (const [k, v] of Object.entries({ variant, vteps, hostsPerVtep }))
    if (v) await must(["config", "set", "--stack", stack, k, v]);
  const t0 = Date.now();
  await must(["up", "--stack", stack, "--yes", "--skip-preview"]);
  const t1 = Date.now();
  const report = await checkStack(stack);
  const t2 = Date.now();
  const state = JSON.parse(await must(["stack", "export", "--stack", stack])) as {
    deployment: { resources: Resource[] };
  };
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
  await must(["destroy", "--stack", stack, "--yes", "--skip-preview"]);
  result.destroy = (Date.now() - t3) / 1000;
  await pulumi(["stack", "rm", stack, "--yes", "--force"]);
  return result;
}

async function main() {
  const variants = arg("variants", VARIANTS.filter((v) => variantFor(v)).join(",")).split(",");
  const vteps = arg("vteps", "3");
  const hpv = arg("hosts-per-vtep", vteps === "3" ? "" : "1");
  const runs = Number(arg("runs", "1"));
  console.log(`# time to green: vteps=${vteps} hostsPerVtep=${hpv || "seed placement"} runs=${runs}\n`);
  console.log(
    "| variant | green s | up s | containers | links | frr start | convergence | variant cmds | checks s | destroy s | per BUM frame (theory) | FDB entries S1 | MB router/vtep/host | ok |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const v of variants) {
    const rs: Awaited<ReturnType<typeof once>>[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(v, vteps, hpv));
    const m = (f: (r: (typeof rs)[number]) => number) => median(rs.map(f)).toFixed(1);
    const last = rs[rs.length - 1];
    if (!last) continue;
    const impl = variantFor(v as (typeof VARIANTS)[number]);
    const n = Number(vteps);
    const theory =
      impl?.amplification({ nodes: Array.from({ length: n }, () => ({ kind: "vtep" })) } as never) ?? NaN;
    const mem = ["router", "vtep", "host"].map((k) => (last.memory[k] ?? NaN).toFixed(1)).join("/");
    console.log(
      `| ${v} | ${m((r) => r.green)} | ${m((r) => r.up)} | ${m((r) => r.phases.containers ?? NaN)} | ${m((r) => r.phases.links ?? NaN)} | ${m((r) => r.phases["frr start"] ?? NaN)} | ${m((r) => r.phases.convergence ?? NaN)} | ${m((r) => r.phases.variant ?? NaN)} | ${m((r) => r.checks)} | ${m((r) => r.destroy)} | ${last.perBumFrame} (${theory}) | ${last.fdbS1} | ${mem} | ${rs.every((r) => r.ok) ? "yes" : `NO: ${last.failed.join("; ")}`} |`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
