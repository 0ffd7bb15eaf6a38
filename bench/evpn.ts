/**
 * BGP EVPN with IPv6 VTEPs, measured:
 * - time to green (up + every check) of evpn beside unicast-static-default, in one run, per size;
 * - control-plane convergence: from a new host MAC's first packet to its FDB entry on every remote
 *   VTEP, over --macs fresh MACs (a macvlan with a new MAC on H1, one solicitation each);
 * - host move: how long until every VTEP points at the new VTEP (the variant's own mobility check, repeated);
 * - bgpd and zebra memory per VTEP and per route reflector at the largest size.
 * Writes bench/results/<date>-evpn.md, rewritten after every measurement.
 *
 *   node --import tsx bench/evpn.ts [--sizes 3,8,16,32] [--macs 200] [--moves 20]
 */
import { writeFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { hostMobility } from "../src/checks/evpn";
import { FdbSchema } from "../src/checks/schemas";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { exec, watchLines } from "../src/docker/exec";
import { getNode, resolveTopology, type Topology } from "../src/model";
import { parseJson } from "../src/util/json";
import { REPO_ROOT } from "../src/util/paths";
import { SVI_ADDRESS } from "../variants/evpn";
import { median, prepareStack, pulumiUp, scaleConfig, scaleSpec } from "./lib";
import { benchArgs } from "./args";

const quantile = (xs: number[], q: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

async function green(stack: string, variant: string, vteps: number) {
  await prepareStack(stack, scaleConfig(variant, vteps));
  const t0 = Date.now();
  await pulumiUp(stack);
  const up = (Date.now() - t0) / 1000;
  const report = await checkStack(stack);
  return {
    up,
    green: (Date.now() - t0) / 1000,
    failed: report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
  };
}

/** Resident memory (MB) of bgpd and zebra in a node, from /proc. */
async function daemonMemory(container: string): Promise<{ bgpd: number; zebra: number }> {
  const r = await exec(container, ["ps", "-C", "bgpd,zebra", "-o", "comm=,rss="]);
  const out = { bgpd: NaN, zebra: NaN };
  for (const line of r.stdout.trim().split("\n")) {
    const [name, kb] = line.trim().split(/\s+/);
    if (name === "bgpd" || name === "zebra") out[name] = Number(kb) / 1024;
  }
  return out;
}

/**
 * Fresh MACs on H1 (a macvlan each, one solicitation from its own address),
 * while every remote VTEP streams its FDB as JSON: first packet -> entry there.
 */
async function macConvergence(t: Topology, count: number): Promise<number[]> {
  const h1 = t.hosts[0];
  if (!h1) throw new Error("no host");
  const remotes = t.nodes.filter((n) => n.kind === "vtep" && n.name !== h1.vtep);
  const macOf = (i: number) =>
    `50:54:33:01:${((i >> 8) & 0xff).toString(16).padStart(2, "0")}:${(i & 0xff).toString(16).padStart(2, "0")}`;
  const wanted = new Set(Array.from({ length: count }, (_, i) => macOf(i + 1)));
  const seen = new Map<string, Map<string, number>>(remotes.map((r) => [r.name, new Map()]));
  const deadline = Date.now() + count * 1000 + 60_000;
  // Each line: "<ns since epoch> <bridge -j fdb show dev vxlan100>", 100 times a second.
  const watch = [
    "bash",
    "-c",
    `while :; do printf '%s ' "$(date +%s%N)"; bridge -j fdb show dev ${t.vxlan.device}; IFS= read -r -t 0.01 _; [ $? -gt 128 ] || exit 0; done`,
  ];
  const watchers = remotes.map((r) =>
    watchLines(
      r.container,
      watch,
      (line) => {
        const sp = line.indexOf(" ");
        const at = Number(line.slice(0, sp)) / 1e6;
        const m = seen.get(r.name) as Map<string, number>;
        for (const e of parseJson(FdbSchema, line.slice(sp + 1) || "[]", `${r.name}: bridge -j fdb show`)) {
          if (wanted.has(e.mac) && !m.has(e.mac)) m.set(e.mac, at);
        }
        return m.size === wanted.size;
      },
      deadline,
    ),
  );
  // One macvlan at a time: new MAC, new address, one solicitation for the SVI, gone again.
  const script = Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    const dev = `mv${i}`;
    const addr = `2001:db8:ff::1:${i.toString(16)}`;
    return [
      `ip link add ${dev} link eth0 address ${macOf(i)} type macvlan mode bridge`,
      `ip -6 addr add ${addr}/64 dev ${dev} nodad`,
      `ip link set ${dev} up`,
      `echo "sent ${macOf(i)} $(date +%s%N)"`,
      `ping -6 -c1 -W0.2 -I ${addr} ${SVI_ADDRESS}%${dev} >/dev/null 2>&1 || true`,
      `sleep 0.3`,
      `ip link del ${dev}`,
    ].join("\n");
  }).join("\n");
  const sent = await exec(getNode(t, h1.name).container, ["sh", "-ec", script]);
  const sentAt = new Map<string, number>();
  for (const line of sent.stdout.split("\n")) {
    const [w, mac, ns] = line.split(" ");
    if (w === "sent" && mac) sentAt.set(mac, Number(ns) / 1e6);
  }
  await Promise.all(watchers);
  const lat: number[] = [];
  for (const mac of wanted) {
    const t0 = sentAt.get(mac);
    const all = remotes.map((r) => seen.get(r.name)?.get(mac));
    if (t0 === undefined || all.some((x) => x === undefined)) continue;
    lat.push(Math.max(...(all as number[])) - t0);
  }
  return lat;
}

async function main() {
  const arg = benchArgs("bench/evpn.ts", ["sizes", "macs", "moves"]);
  const sizes = arg("sizes", "3,8,16,32").split(",").map(Number);
  const macs = Number(arg("macs", "200"));
  const moves = Number(arg("moves", "20"));
  const started = new Date();
  const date = started.toISOString().slice(0, 10);
  const lines: string[] = [
    `# BGP EVPN over IPv6 VTEPs, measured (${date})`,
    "",
    `Machine: ${release()}, 2 cores. Started ${started.toISOString()}. Command: \`node --import tsx bench/evpn.ts --sizes ${sizes.join(",")} --macs ${macs} --moves ${moves}\`.`,
    "FRR 10.7.1 (image frr-evpn, Debian forky) on every router and VTEP of evpn; unicast-static-default on FRR 10.3 (trixie).",
    "",
    "## Time to green (up + every check of the variant), same run, alternating",
    "",
    "| VTEPs | evpn green s (up) | static-default green s (up) | ratio | failed checks |",
    "|---|---|---|---|---|",
  ];
  const write = (extra: string[] = []) =>
    writeFileSync(
      join(REPO_ROOT, "bench", "results", `${date}-evpn.md`),
      `${[...lines, ...extra].join("\n")}\n`,
    );
  const stackE = "bench-evpn";
  const stackS = "bench-evpn-static";
  let memory: string[] = [];
  for (const [i, vteps] of sizes.entries()) {
    const runs: Record<string, Awaited<ReturnType<typeof green>>> = {};
    const order = i % 2 === 0 ? ["evpn", "unicast-static-default"] : ["unicast-static-default", "evpn"];
    for (const variant of order) {
      const stack = variant === "evpn" ? stackE : stackS;
      process.stderr.write(`== ${variant} at ${vteps} VTEPs\n`);
      try {
        runs[variant] = await green(stack, variant, vteps);
        if (variant === "evpn" && vteps === Math.max(...sizes)) {
          const t = resolveTopology(scaleSpec(stack, variant, vteps));
          const rr = await Promise.all(
            t.nodes.filter((n) => n.kind === "router").map((n) => daemonMemory(n.container)),
          );
          const vt = await Promise.all(
            t.nodes.filter((n) => n.kind === "vtep").map((n) => daemonMemory(n.container)),
          );
          const avg = (xs: { bgpd: number; zebra: number }[], k: "bgpd" | "zebra") =>
            (xs.reduce((a, x) => a + x[k], 0) / xs.length).toFixed(1);
          memory = [
            "",
            `## bgpd and zebra memory (RSS) at ${vteps} VTEPs`,
            "",
            "| node kind | bgpd MB | zebra MB |",
            "|---|---|---|",
            `| route reflector (mean of ${rr.length}) | ${avg(rr, "bgpd")} | ${avg(rr, "zebra")} |`,
            `| VTEP (mean of ${vt.length}) | ${avg(vt, "bgpd")} | ${avg(vt, "zebra")} |`,
          ];
        }
      } catch (err) {
        process.stderr.write(`${variant} ${vteps}: ${err instanceof Error ? err.message : String(err)}\n`);
      } finally {
        await destroyStack(stack, { keepConfig: false });
      }
    }
    const e = runs.evpn;
    const s = runs["unicast-static-default"];
    lines.push(
      `| ${vteps} | ${e ? `${e.green.toFixed(1)} (${e.up.toFixed(1)})` : "-"} | ${s ? `${s.green.toFixed(1)} (${s.up.toFixed(1)})` : "-"} | ${e && s ? (e.green / s.green).toFixed(2) : "-"} | ${[...(e?.failed ?? []), ...(s?.failed ?? [])].join("; ") || "none"} |`,
    );
    write(memory);
  }
  lines.push(...memory);

  // Control plane and mobility on the default 3-VTEP lab.
  const stack = stackE;
  try {
    await prepareStack(stack, scaleConfig("evpn", 3));
    await pulumiUp(stack);
    const t = resolveTopology(scaleSpec(stack, "evpn", 3));
    // The lab is green first: the announcements and sessions are in place.
    await checkStack(stack);
    const lat = await macConvergence(t, macs);
    lines.push(
      "",
      "## Control plane: a new MAC's first packet to its FDB entry on every remote VTEP",
      "",
      `${lat.length} of ${macs} fresh MACs (macvlan on H1, one solicitation each; remote FDBs read as JSON 100 times a second, so figures carry up to ~10 ms of polling):`,
      "",
      "| | p50 ms | p99 ms | max ms |",
      "|---|---|---|---|",
      `| EVPN (type-2 route through the reflectors) | ${median(lat).toFixed(1)} | ${quantile(lat, 0.99).toFixed(1)} | ${Math.max(...lat).toFixed(1)} |`,
      "| dynamic agent, miss -> entry (bench/results/2026-11-24-miss-latency.md, l2) | 0.61 | 4.84 | 14.8 |",
      "",
      "The two are not the same act: EVPN advertises a MAC the moment its VTEP learns it, to every VTEP, before",
      "anyone asks; the agent installs an entry when the kernel reports a miss, on the one VTEP that missed.",
    );
    write();
    const h = t.hosts[0];
    const via = t.hosts.find((x) => x.vtep !== h?.vtep);
    const moveMs: number[] = [];
    const backMs: number[] = [];
    if (h && via) {
      const check = hostMobility(t, h, via, SVI_ADDRESS, { timeoutMs: 10_000, intervalMs: 20 });
      const ctx = { t, exec: (node: string, argv: string[]) => exec(getNode(t, node).container, argv) };
      for (let i = 0; i < moves; i++) {
        const o = await check.run(ctx);
        if (o.ok && o.figures) {
          moveMs.push(o.figures.moveMs ?? NaN);
          backMs.push(o.figures.backMs ?? NaN);
        } else process.stderr.write(`move ${i}: ${o.detail}\n`);
      }
    }
    lines.push(
      "",
      "## Host move: every VTEP points at the new VTEP",
      "",
      `${moveMs.length} of ${moves} moves of H1's MAC behind S2 and back (the variant's mobility check, polling every 20 ms):`,
      "",
      "| | p50 ms | max ms |",
      "|---|---|---|",
      `| moved (higher MAC-mobility sequence, every FDB follows) | ${median(moveMs).toFixed(0)} | ${Math.max(...moveMs).toFixed(0)} |`,
      `| back | ${median(backMs).toFixed(0)} | ${Math.max(...backMs).toFixed(0)} |`,
    );
    write();
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
