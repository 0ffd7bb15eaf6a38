/**
 * Loss windows of router faults, per variant, with BFD and without it (the
 * baseline: the same lab in the same run with BFD switched off in vtysh, so
 * OSPF's 3 s dead interval decides). H1 pings the last host every 100 ms;
 * the fault starts 1 s in and stays for the rest of the 6 s run.
 * Faults: R1 and R2 silently dropping S1's traffic (nft ingress, carrier up),
 * R2 cut off (its links down inside it), R1 stopped (`docker stop`, BFD on).
 * Writes bench/results/<date>-failover[-<tag>].md, rewritten after every variant.
 *
 *   node --import tsx bench/failover.ts [--variants multicast,evpn] [--vteps 3] [--bfdInterval 300]
 *     [--tag x] [--prefix bench-fo-]   (the report's name suffix; the stacks' name prefix)
 */
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { releaseStaleLocks } from "../src/cli/locks";
import {
  endDrop,
  freshDiscovery,
  lossAcross,
  setBfd,
  setLinks,
  startDrop,
  stopRouter,
  underlayGaps,
} from "../src/faults/routers";
import type { LossWindow } from "../src/faults/ping";
import { VARIANTS, resolveTopology, type BfdTimers, type Topology } from "../src/model";
import { REPO_ROOT } from "../src/util/paths";
import { upStack } from "./lib";
import { benchArgs } from "./args";

interface Row {
  variant: string;
  fault: string;
  bfd?: LossWindow;
  base?: LossWindow;
  note?: string;
}

const FAULTS: {
  name: string;
  inject: (t: Topology) => Promise<void>;
  end: (t: Topology) => Promise<void>;
}[] = [
  { name: "R1 drops S1's traffic", inject: (t) => startDrop(t, "R1", "S1"), end: (t) => endDrop(t, "R1") },
  { name: "R2 drops S1's traffic", inject: (t) => startDrop(t, "R2", "S1"), end: (t) => endDrop(t, "R2") },
  {
    name: "R2 cut off (links down)",
    inject: (t) => setLinks(t, "R2", "down"),
    end: (t) => setLinks(t, "R2", "up"),
  },
];

async function measure(t: Topology, far: string, f: (typeof FAULTS)[number]): Promise<LossWindow> {
  const gaps = await underlayGaps(t, 60_000);
  if (gaps.length) throw new Error(`${t.stack}: not whole before "${f.name}": ${gaps.join("; ")}`);
  const loss = await lossAcross(t, "H1", far, () => f.inject(t));
  await f.end(t);
  return loss;
}

async function variantRows(
  variant: string,
  vteps: number,
  bfdInterval: string | undefined,
  prefix: string,
): Promise<Row[]> {
  const stack = `${prefix}${variant.replace(/^unicast-/, "u-")}`;
  const rows: Row[] = FAULTS.map((f) => ({ variant, fault: f.name }));
  const stop: Row = { variant, fault: "R1 stopped" };
  try {
    for (const m of releaseStaleLocks(stack)) process.stderr.write(`${m}\n`);
    await upStack(stack, { variant, vteps: String(vteps), ...(bfdInterval ? { bfdInterval } : {}) });
    // Measured from green: every check passed (and the hosts have talked) first.
    const report = await checkStack(stack);
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.name);
    if (failed.length > 0) throw new Error(`not green before the faults: ${failed.join("; ")}`);
    const t = resolveTopology({
      stack,
      variant,
      vteps,
      bfdInterval: bfdInterval ? Number(bfdInterval) : undefined,
    });
    const far = t.hosts[t.hosts.length - 1]?.name ?? "";
    for (const [i, f] of FAULTS.entries()) (rows[i] as Row).bfd = await measure(t, far, f);
    await setBfd(t, false);
    for (const [i, f] of FAULTS.entries()) (rows[i] as Row).base = await measure(t, far, f);
    await setBfd(t, true);
    await underlayGaps(t, 60_000);
    stop.bfd = await lossAcross(t, "H1", far, () => stopRouter(t, "R1"));
    const nd = await freshDiscovery(t, "H1", "H2");
    stop.note = nd.ok ? "ND with R2 alone: ok" : `ND with R2 alone FAILED (${nd.detail})`;
  } catch (err) {
    stop.note = `failed: ${err instanceof Error ? err.message.slice(0, 300) : String(err)}`;
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
  return [...rows, stop];
}

const cell = (w?: LossWindow) => (w ? `${w.lost} / ${w.darkMs}` : "-");
/** Only where the fault cost something without BFD: the other rows' dark times are noise. */
const ratio = (r: Row) =>
  r.bfd && r.base && r.base.lost > 0 ? (r.base.darkMs / Math.max(r.bfd.darkMs, 1)).toFixed(1) : "-";

function report(
  rows: Row[],
  date: string,
  started: Date,
  vteps: number,
  bfd: BfdTimers,
  cmd: string,
): string {
  return [
    `# Router failover: loss windows (${date})`,
    "",
    `Machine: ${release()}, 2 cores, shared with other labs (timings are noisy). Started ${started.toISOString()}.`,
    `Command: \`${cmd}\`. ${vteps} VTEPs per lab, one lab per variant.`,
    `H1 pings the last host every 100 ms (60 pings); the fault starts after 1 s and stays.`,
    `BFD: ${bfd.intervalMs} ms x ${bfd.multiplier}. Baseline: the same lab in the same run with BFD`,
    "switched off (`no ipv6 ospf6 bfd`), so OSPF's 3 s dead interval decides.",
    "Cells: pings lost / longest time without a reply (ms). Ratio: dark time without BFD over with it,",
    "where the fault cost pings without BFD (elsewhere the dark times are noise).",
    "A drop by the router that does not carry H1's flow costs nothing: the two drop rows together show both.",
    "",
    "| variant | fault | BFD: lost / dark ms | no BFD: lost / dark ms | ratio | note |",
    "|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.variant} | ${r.fault} | ${cell(r.bfd)} | ${cell(r.base)} | ${ratio(r)} | ${r.note ?? ""} |`,
    ),
    "",
  ].join("\n");
}

async function main() {
  const arg = benchArgs("bench/failover.ts", ["vteps", "variants", "bfdInterval", "tag", "prefix"]);
  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const vteps = Number(arg("vteps", "3"));
  const variants = arg("variants", VARIANTS.join(",")).split(",");
  const bfdInterval = arg("bfdInterval", "") || undefined;
  // Checked as the stack config will be: a bad value stops here, before any lab.
  const bfd = resolveTopology({
    stack: "bench-fo",
    variant: "evpn",
    vteps,
    bfdInterval: bfdInterval ? Number(bfdInterval) : undefined,
  }).underlay.bfd;
  const out = join(
    REPO_ROOT,
    "bench",
    "results",
    `${date}-failover${arg("tag", "") ? `-${arg("tag", "")}` : ""}.md`,
  );
  const cmd = ["node --import tsx bench/failover.ts", ...process.argv.slice(2)].join(" ");
  const rows: Row[] = [];
  for (const v of variants) {
    rows.push(...(await variantRows(v, vteps, bfdInterval, arg("prefix", "bench-fo-"))));
    writeFileSync(out, report(rows, date, started, vteps, bfd, cmd));
    process.stdout.write(`${v} done\n`);
  }
  process.stdout.write(`${out}\n`);
}

void main();
