/**
 * The lab against the bare shell script (bench/shell-baseline.sh: docker run,
 * nsenter, same images, same FRR config), side by side in one run,
 * alternating which goes first, for each variant and size. Reports time to
 * green and its ratio, the phases, underlay convergence, destroy, and what
 * each asked of the engine (containers created, execs; counted from the
 * engine's live event stream). Writes bench/results/<date>-side-by-side[-<tag>].md
 * and an SVG of both curves against N (side-by-side[-<tag>].svg), rewritten
 * after every measurement; a tag keeps an earlier report of the day.
 *
 *   node --import tsx bench/side-by-side.ts [--sizes 3,8,16,32] [--variants unicast-static-default,multicast] [--tag x]
 */
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { pulumi } from "../src/cli/pulumi";
import { z } from "zod";
import { resolveTopology } from "../src/model";
import { parseJson } from "../src/util/json";
import { REPO_ROOT } from "../src/util/paths";
import { runBaseline } from "./baseline/run";
import { countEvents, type EngineCounts } from "./events";
import {
  hostsPerVtepAt,
  phases,
  prepareStack,
  pulumiUp,
  scaleConfig,
  scaleSpec,
  StackExportSchema,
} from "./lib";
import { lineChart } from "./plot";
import { benchArgs } from "./args";

interface Side {
  green: number;
  destroy: number;
  /** Underlay convergence: routes everywhere, counted from when FRR runs with its links. */
  convergence: number;
  phases: Record<string, number>;
  engine: EngineCounts;
  failed?: string;
}

interface Row {
  variant: string;
  vteps: number;
  nodes: number;
  lab?: Side;
  base?: Side;
}

async function labSide(variant: string, vteps: number): Promise<Side> {
  const stack = `bench-${variant}`.slice(0, 31);
  await prepareStack(stack, scaleConfig(variant, vteps));
  const counter = await countEvents("vxlan-lab.stack", stack);
  try {
    const t0 = Date.now();
    await pulumiUp(stack);
    const report = await checkStack(stack);
    const green = (Date.now() - t0) / 1000;
    const engine = await counter.stop();
    const exported = (await pulumi(["stack", "export", "--stack", stack])).stdout;
    const state = parseJson(StackExportSchema, exported, `pulumi stack export ${stack}`);
    const outputs = (await pulumi(["stack", "output", "--stack", stack, "--json"])).stdout;
    const out = parseJson(
      z.looseObject({ underlayConvergedSeconds: z.number() }),
      outputs,
      `pulumi stack output ${stack}`,
    );
    const t3 = Date.now();
    await destroyStack(stack, { keepConfig: false });
    return {
      green,
      destroy: (Date.now() - t3) / 1000,
      convergence: out.underlayConvergedSeconds,
      phases: phases(state.deployment.resources),
      engine,
      ...(report.ok
        ? {}
        : {
            failed: report.checks
              .filter((c) => !c.ok)
              .map((c) => `${c.name}: ${c.detail}`)
              .join("; "),
          }),
    };
  } finally {
    await counter.stop();
    await destroyStack(stack, { keepConfig: false });
  }
}

async function baseSide(variant: string, vteps: number): Promise<Side> {
  const prefix = `bb${vteps}`;
  const counter = await countEvents("vxlan-lab.baseline", prefix);
  const hpv = hostsPerVtepAt(vteps);
  const r = await runBaseline({ variant, vteps, prefix, ...(hpv ? { hostsPerVtep: hpv } : {}) });
  const engine = await counter.stop();
  const p = r.phases;
  const span = (a: string, b: string) => (p[b] ?? NaN) - (p[a] ?? NaN);
  return {
    green: r.greenSeconds,
    destroy: r.destroySeconds,
    convergence: span("frr", "converged"),
    phases: {
      containers: span("start", "containers"),
      links: span("containers", "links"),
      "frr start": span("links", "frr"),
      convergence: span("frr", "converged"),
      variant: span("converged", "overlay"),
      pings: span("overlay", "green"),
    },
    engine,
  };
}

const f1 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(1));
const ratio = (a?: number, b?: number) => (a && b ? (a / b).toFixed(2) : "-");
const phaseText = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${f1(v)}`)
    .join(", ");

function exponent(rows: Row[], pick: (r: Row) => number | undefined, lo = 16, hi = 32): string {
  const a = rows.find((r) => r.vteps === lo);
  const b = rows.find((r) => r.vteps === hi);
  const ya = a && pick(a);
  const yb = b && pick(b);
  return ya && yb ? (Math.log(yb / ya) / Math.log(hi / lo)).toFixed(2) : "-";
}

function report(svg: string, rows: Row[], date: string, started: Date): string {
  const variants = [...new Set(rows.map((r) => r.variant))];
  const lines = [
    `# The lab against a bare shell script, side by side (${date})`,
    "",
    `Machine: ${release()}, 2 cores. Started ${started.toISOString()}. Command: \`node --import tsx bench/side-by-side.ts\`.`,
    "Baseline: `bench/shell-baseline.sh` (docker CLI and nsenter, same images, same frr.conf and daemons from the model, same overlay commands),",
    "green when every host pair answers ping. Lab: `pulumi up` (our Pulumi program) then every check of the variant",
    "(reachability all pairs, tables, amplification, paths, neighbour table guard); green when all pass.",
    "Each size runs both, alternating which goes first. Ratios are lab / baseline (below 1: the lab is faster).",
    "Engine figures are counted from the engine's live event stream during up and checks.",
    "",
    "| variant | VTEPs | nodes | lab green s | script green s | ratio | lab conv. s | script conv. s | ratio | lab destroy s | script destroy s | ratio | lab containers (nodes+helper) | lab execs (per node) | script execs |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.vteps} | ${r.nodes} | ${f1(r.lab?.green)} | ${f1(r.base?.green)} | ${ratio(r.lab?.green, r.base?.green)} | ` +
        `${f1(r.lab?.convergence)} | ${f1(r.base?.convergence)} | ${ratio(r.lab?.convergence, r.base?.convergence)} | ` +
        `${f1(r.lab?.destroy)} | ${f1(r.base?.destroy)} | ${ratio(r.lab?.destroy, r.base?.destroy)} | ` +
        `${r.lab?.engine.creates ?? "-"} (${r.nodes + 1}) | ${r.lab?.engine.execs ?? "-"} (${r.lab ? (r.lab.engine.execs / r.nodes).toFixed(2) : "-"}) | ${r.base?.engine.execs ?? "-"} |`,
    ),
    "",
    "Growth from 16 to 32 VTEPs (exponent of green time):",
    ...variants.map(
      (v) =>
        `- ${v}: lab ${exponent(
          rows.filter((r) => r.variant === v),
          (r) => r.lab?.green,
        )}, script ${exponent(
          rows.filter((r) => r.variant === v),
          (r) => r.base?.green,
        )}`,
    ),
    "",
    "Phases (seconds):",
    "",
    "| variant | VTEPs | lab | script |",
    "|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.vteps} | ${r.lab ? phaseText(r.lab.phases) : "-"} | ${r.base ? phaseText(r.base.phases) : "-"} |`,
    ),
    "",
    ...rows.flatMap((r) =>
      r.lab?.failed ? [`- lab ${r.variant} at ${r.vteps}: FAILED ${r.lab.failed}`] : [],
    ),
    "",
    `![time to green vs N](${svg})`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}

async function main() {
  const arg = benchArgs("bench/side-by-side.ts", ["sizes", "variants", "tag"]);
  const suffix = arg("tag", "") ? `-${arg("tag", "")}` : "";
  const svg = `side-by-side${suffix}.svg`;
  const sizes = arg("sizes", "3,8,16,32").split(",").map(Number);
  const variants = arg("variants", "unicast-static-default,multicast").split(",");
  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const rows: Row[] = [];
  const write = () => {
    const dir = join(REPO_ROOT, "bench", "results");
    writeFileSync(join(dir, `${date}-side-by-side${suffix}.md`), report(svg, rows, date, started));
    writeFileSync(
      join(dir, svg),
      lineChart(
        "time to green vs VTEPs",
        "VTEPs (2 hosts each above 3)",
        "seconds",
        variants.flatMap((v) => [
          {
            name: `lab ${v}`,
            points: rows
              .filter((r) => r.variant === v && r.lab)
              .map((r) => [r.vteps, r.lab?.green ?? NaN] as [number, number]),
          },
          {
            name: `script ${v}`,
            dashed: true,
            points: rows
              .filter((r) => r.variant === v && r.base)
              .map((r) => [r.vteps, r.base?.green ?? NaN] as [number, number]),
          },
        ]),
      ),
    );
  };
  let i = 0;
  for (const vteps of sizes) {
    for (const variant of variants) {
      const t = resolveTopology(scaleSpec("x", variant, vteps));
      const row: Row = { variant, vteps, nodes: t.nodes.length };
      rows.push(row);
      const order = i++ % 2 === 0 ? (["lab", "base"] as const) : (["base", "lab"] as const);
      for (const side of order) {
        process.stderr.write(`== ${side} ${variant} ${vteps} VTEPs\n`);
        try {
          if (side === "lab") row.lab = await labSide(variant, vteps);
          else row.base = await baseSide(variant, vteps);
        } catch (err) {
          process.stderr.write(
            `${side} ${variant} ${vteps}: ${err instanceof Error ? err.message : String(err)}\n`,
          );
        }
        write();
      }
    }
  }
  process.stdout.write(report(svg, rows, date, started));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
