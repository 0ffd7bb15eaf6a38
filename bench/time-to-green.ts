/**
 * Time to green per variant, split into phases, with amplification, FDB size
 * and memory. Prints a markdown table.
 *
 *   node --import tsx bench/time-to-green.ts [--variants a,b] [--vteps N] [--hosts-per-vtep K] [--runs R]
 */
import { VARIANTS } from "../src/model";
import { variantFor } from "../variants";
import { median, once, type Measurement } from "./lib";
import { benchArgs } from "./args";

export const theory = (variant: string, n: number) =>
  variantFor(variant as (typeof VARIANTS)[number])?.amplification({
    nodes: Array.from({ length: n }, () => ({ kind: "vtep" })),
  } as never) ?? NaN;

/** Mean MB per node of each kind; the dynamic variants' registry and agents in parentheses. */
export function memoryCell(memory: Record<string, number>): string {
  const base = ["router", "vtep", "host"].map((k) => (memory[k] ?? NaN).toFixed(1)).join("/");
  const extra = ["registry", "agent"].filter((k) => memory[k] !== undefined);
  return extra.length ? `${base} (${extra.map((k) => (memory[k] ?? NaN).toFixed(1)).join("/")})` : base;
}

export function row(v: string, n: number, rs: Measurement[]): string {
  const m = (f: (r: Measurement) => number) => median(rs.map(f)).toFixed(1);
  const last = rs[rs.length - 1];
  if (!last) return `| ${v} | no run |`;
  const mem = memoryCell(last.memory);
  return `| ${v} | ${m((r) => r.green)} | ${m((r) => r.up)} | ${m((r) => r.phases.containers ?? NaN)} | ${m((r) => r.phases.links ?? NaN)} | ${m((r) => r.phases["frr start"] ?? NaN)} | ${m((r) => r.phases.convergence ?? NaN)} | ${m((r) => r.phases.variant ?? NaN)} | ${m((r) => r.checks)} | ${m((r) => r.destroy)} | ${last.perBumFrame} (${theory(v, n)}) | ${last.fdbS1} | ${mem} | ${rs.every((r) => r.ok) ? "yes" : `NO: ${last.failed.join("; ")}`} |`;
}

export const HEADER = [
  "| variant | green s | up s | containers | links | frr start | convergence | variant cmds | checks s | destroy s | per BUM frame (theory) | FDB entries S1 | MB router/vtep/host (registry/agent) | ok |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
];

async function main() {
  const arg = benchArgs("bench/time-to-green.ts", ["variants", "vteps", "hosts-per-vtep", "runs"]);
  const variants = arg("variants", VARIANTS.filter((v) => variantFor(v)).join(",")).split(",");
  const vteps = arg("vteps", "3");
  const hpv = arg("hosts-per-vtep", vteps === "3" ? "" : "1");
  const runs = Number(arg("runs", "1"));
  console.log(`# time to green: vteps=${vteps} hostsPerVtep=${hpv || "seed placement"} runs=${runs}\n`);
  console.log(HEADER.join("\n"));
  for (const v of variants) {
    const rs: Measurement[] = [];
    for (let i = 0; i < runs; i++) rs.push(await once(v, vteps, hpv));
    console.log(row(v, Number(vteps), rs));
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
