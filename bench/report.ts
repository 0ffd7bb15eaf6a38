/**
 * The benchmark report: time to green per variant (median of --runs),
 * scale of two variants over --sizes VTEPs (two hosts each), amplification
 * vs N next to theory, and the data plane. Writes bench/results/<date>.md
 * and SVG plots, rewriting them after every measurement so a long run that
 * is cut short still leaves what it measured.
 *
 *   node --import tsx bench/report.ts [--runs 3] [--sizes 3,8,16,32] [--scale-variants unicast-static-default,multicast]
 */
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { VARIANTS } from "../src/model";
import { REPO_ROOT } from "../src/util/paths";
import { variantFor } from "../variants";
import { once, type Measurement } from "./lib";
import { lineChart } from "./plot";
import { HEADER, memoryCell, row, theory } from "./time-to-green";
import { benchArgs } from "./args";

/** "time to green ~ N^k": k from the first and last point, for each measure. */
function growth(byN: Record<number, Measurement>): string {
  const ns = Object.keys(byN)
    .map(Number)
    .sort((a, b) => a - b);
  const lo = ns[0];
  const hi = ns[ns.length - 1];
  if (lo === undefined || hi === undefined || lo === hi) return "one size only";
  const a = byN[lo];
  const b = byN[hi];
  if (!a || !b) return "incomplete";
  const k = (f: (m: Measurement) => number) => (Math.log(f(b) / f(a)) / Math.log(hi / lo)).toFixed(2);
  const vtepMb = (m: Measurement) => m.memory.vtep ?? NaN;
  return (
    `time to green ~ N^${k((m) => m.green)}, up ~ N^${k((m) => m.up)}, checks ~ N^${k((m) => m.checks)}, ` +
    `destroy ~ N^${k((m) => m.destroy)}; memory per VTEP ${vtepMb(a).toFixed(1)} -> ${vtepMb(b).toFixed(1)} MB`
  );
}

async function main() {
  const arg = benchArgs("bench/report.ts", ["runs", "sizes", "scale-variants"]);
  const runs = Number(arg("runs", "3"));
  const sizes = arg("sizes", "3,8,16,32").split(",").map(Number);
  const scaleVariants = arg("scale-variants", "unicast-static-default,multicast").split(",");
  const variants = VARIANTS.filter((v) => variantFor(v));
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(REPO_ROOT, "bench", "results");
  const green: Record<string, Measurement[]> = {};
  const scale: Record<string, Record<number, Measurement>> = {};

  const write = () => {
    const lines = [
      `# vxlan-lab benchmarks, ${date}`,
      "",
      `Machine: ${process.env.VXLAN_LAB_MACHINE ?? `2 cores, 24 GiB, kernel ${release()}`}.`,
      "",
      `## Time to green per variant (default topology, median of ${runs})`,
      "",
      `Reproduce: \`node --import tsx bench/time-to-green.ts --runs ${runs}\``,
      "",
      ...HEADER,
      ...Object.entries(green).map(([v, rs]) => row(v, 3, rs)),
      "",
      `## Scale: ${scaleVariants.join(", ")} at ${sizes.join(", ")} VTEPs, two hosts each`,
      "",
      `Reproduce one point: \`node --import tsx bench/time-to-green.ts --variants <v> --vteps <N> --hosts-per-vtep 2\``,
      "",
      "| variant | VTEPs | containers | green s | up s | convergence s | destroy s | per BUM frame (theory) | MB router/vtep/host |",
      "|---|---|---|---|---|---|---|---|---|",
      ...Object.entries(scale).flatMap(([v, byN]) =>
        Object.entries(byN).map(
          ([n, r]) =>
            `| ${v} | ${n} | ${2 + 3 * Number(n)} | ${r.green.toFixed(1)} | ${r.up.toFixed(1)} | ${(r.phases.convergence ?? NaN).toFixed(1)} | ${r.destroy.toFixed(1)} | ${r.perBumFrame} (${theory(v, Number(n))}) | ${memoryCell(r.memory)} |`,
        ),
      ),
      "",
      "Growth with N (exponent k of a power law through the smallest and largest N measured):",
      "",
      ...Object.entries(scale).map(([v, byN]) => `- ${v}: ${growth(byN)}`),
      "",
      "![time to green vs N](time-to-green-vs-n.svg)",
      "",
      "## Amplification vs N (VXLAN packets per BUM frame; theory dashed)",
      "",
      "![amplification vs N](amplification-vs-n.svg)",
      "",
    ];
    writeFileSync(join(dir, `${date}.md`), `${lines.join("\n")}\n`);
    const scaleSeries = Object.entries(scale).map(([v, byN]) => ({
      name: v,
      points: Object.entries(byN).map(([n, r]) => [Number(n), r.green] as [number, number]),
    }));
    writeFileSync(
      join(dir, "time-to-green-vs-n.svg"),
      lineChart("Time to green vs VTEPs", "VTEPs", "seconds", scaleSeries),
    );
    const ampSeries = Object.entries(scale).flatMap(([v, byN]) => [
      {
        name: `${v} measured`,
        points: Object.entries(byN).map(([n, r]) => [Number(n), r.perBumFrame ?? NaN] as [number, number]),
      },
      { name: `${v} theory`, dashed: true, points: sizes.map((n) => [n, theory(v, n)] as [number, number]) },
    ]);
    writeFileSync(
      join(dir, "amplification-vs-n.svg"),
      lineChart("Amplification vs VTEPs", "VTEPs", "VXLAN packets per BUM frame", ampSeries),
    );
  };

  for (const v of variants) {
    green[v] = [];
    for (let i = 0; i < runs; i++) {
      green[v].push(await once(v, "3", ""));
      write();
    }
  }
  for (const v of scaleVariants) {
    scale[v] = {};
    for (const n of sizes) {
      scale[v][n] = await once(v, String(n), "2");
      write();
      console.error(`${v} N=${n}: green ${scale[v][n]?.green.toFixed(1)} s`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
