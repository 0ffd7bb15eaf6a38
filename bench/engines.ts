/**
 * One engine against two, side by side in the same run: the same lab (3
 * VTEPs by default) on this machine's engine alone, then spread over it and
 * the test suite's second engine (its own network namespace, reached over a
 * 1500-byte veth: test/e2e/engine2.ts). Per layout: time to green (`pulumi
 * up` to every check passing), underlay convergence, TCP throughput across
 * one underlay link (S1 -> R2: a veth on one engine, a tunnel between the
 * engine hosts on two) and host to host across the overlay. Reported as
 * ratios two/one; both labs at the MTU the tunnels allow. Writes
 * bench/results/<date>-engines.md.
 *
 *   node --import tsx bench/engines.ts [--variant unicast-static-default] [--vteps 3] [--seconds 5] [--rounds 2]
 */
import { existsSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { pulumi } from "../src/cli/pulumi";
import { nodeTarget, resolveTopology, type LabSpec, type Topology } from "../src/model";
import { REPO_ROOT } from "../src/util/paths";
import { startEngine2, twoEngines } from "../test/e2e/engine2";
import { benchArgs } from "./args";
import { iperf, median, prepareStack, pulumiUp } from "./lib";

interface Run {
  greenS: number;
  convergedS: number;
  link: { gbps: number; rttMs: number };
  overlay: { gbps: number; rttMs: number };
  mtu: number;
}

async function measure(
  stack: string,
  spec: LabSpec,
  config: Record<string, string>,
  seconds: number,
): Promise<Run> {
  const t: Topology = resolveTopology(spec);
  await prepareStack(stack, config);
  try {
    const start = Date.now();
    await pulumiUp(stack);
    const report = await checkStack(stack);
    if (!report.ok)
      throw new Error(`${stack}: checks failed: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
    const greenS = (Date.now() - start) / 1000;
    const out = await pulumi(["stack", "output", "--stack", stack, "underlayConvergedSeconds"]);
    // One underlay link, end to end: S1's address on it to R2's.
    const link = t.links.find((l) => l.a.node === "S1" && l.b.node === "R2");
    if (!link?.a.address || !link.b.address) throw new Error("no S1-R2 link");
    const addr = (a: string) => a.split("/")[0] ?? "";
    const linkRun = await iperf(
      nodeTarget(t, "R2"),
      nodeTarget(t, "S1"),
      addr(link.b.address),
      seconds,
      addr(link.a.address),
    );
    const h1 = t.hosts[0];
    const far = [...t.hosts].reverse().find((h) => h.vtep !== h1?.vtep);
    if (!h1 || !far) throw new Error("need two hosts behind different VTEPs");
    const overlay = await iperf(nodeTarget(t, far.name), nodeTarget(t, h1.name), addr(far.address), seconds);
    return { greenS, convergedS: Number(out.stdout.trim()), link: linkRun, overlay, mtu: t.underlay.mtu };
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
}

async function main() {
  const arg = benchArgs("bench/engines.ts", ["variant", "vteps", "seconds", "rounds"]);
  const variant = arg("variant", "unicast-static-default");
  const vteps = Number(arg("vteps", "3"));
  const seconds = Number(arg("seconds", "5"));
  const rounds = Number(arg("rounds", "2"));
  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  await startEngine2();
  // The one-engine lab gets the MTU the tunnels force on the two-engine one:
  // the ratios then show the tunnels' cost, not a smaller MTU's.
  const mtu = resolveTopology({ stack: "m", variant, vteps, engines: twoEngines, enginePlacement: "spread" })
    .underlay.mtu;
  const layouts = {
    one: { spec: { mtu }, config: { mtu: String(mtu) } },
    two: {
      spec: { engines: twoEngines, enginePlacement: "spread" as const },
      config: { engines: JSON.stringify(twoEngines), enginePlacement: "spread" },
    },
  };
  const runs: Record<"one" | "two", Run[]> = { one: [], two: [] };
  // Alternating, so that a change in the machine's load falls on both layouts.
  for (let r = 0; r < rounds; r++) {
    for (const name of ["one", "two"] as const) {
      const stack = `bench-engines-${name}`;
      const l = layouts[name];
      runs[name].push(
        await measure(
          stack,
          { stack, variant, vteps, ...l.spec },
          { variant, vteps: String(vteps), ...l.config },
          seconds,
        ),
      );
      process.stdout.write(`round ${r + 1} ${name} engine(s) done\n`);
    }
  }
  const m = (name: "one" | "two", f: (x: Run) => number) => median(runs[name].map(f));
  const rows: [string, (x: Run) => number, number][] = [
    ["time to green (s)", (x) => x.greenS, 1],
    ["underlay convergence (s)", (x) => x.convergedS, 2],
    ["S1 -> R2 across one underlay link (Gbit/s)", (x) => x.link.gbps, 2],
    ["S1 -> R2 TCP RTT (ms)", (x) => x.link.rttMs, 3],
    ["overlay H1 -> far host (Gbit/s)", (x) => x.overlay.gbps, 2],
    ["overlay TCP RTT (ms)", (x) => x.overlay.rttMs, 3],
  ];
  const lines = [
    `# One engine against two (${date})`,
    "",
    `Machine: ${release()}, ${cpus().length} cores (timings noisy when other labs run). Started ${started.toISOString()}.`,
    `Command: \`node --import tsx bench/engines.ts --variant ${variant} --vteps ${vteps} --seconds ${seconds} --rounds ${rounds}\`.`,
    `Variant ${variant}, ${vteps} VTEPs; medians of ${rounds} round(s), the layouts alternating.`,
    "One: every node on this machine's engine. Two: VTEP i and its hosts on engine i mod 2, R1 and R2 apart,",
    "the second engine in its own network namespace behind a 1500-byte veth; links between engines are",
    `VXLAN tunnels between the engine hosts, so the underlay MTU is ${runs.two[0]?.mtu ?? "?"}; the one-engine lab is given the same MTU.`,
    "Both engines share this machine's CPUs: the ratios show the tunnels' cost, not a second machine's gain.",
    "",
    "| measure | one engine | two engines | two/one |",
    "|---|---|---|---|",
    ...rows.map(([label, f, digits]) => {
      const a = m("one", f);
      const b = m("two", f);
      return `| ${label} | ${a.toFixed(digits)} | ${b.toFixed(digits)} | ${(b / a).toFixed(2)} |`;
    }),
    "",
  ];
  let out = join(REPO_ROOT, "bench", "results", `${date}-engines.md`);
  for (let i = 2; existsSync(out); i++) out = join(REPO_ROOT, "bench", "results", `${date}-engines-${i}.md`);
  writeFileSync(out, lines.join("\n"));
  process.stdout.write(`${lines.join("\n")}\n${out}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
