/**
 * Miss handling, measured: how long a VTEP takes from the kernel's miss
 * notification to the installed entry, and what happens to the first packets
 * to a new destination, for two miss handlers on the same VTEP (S1) in the
 * same run:
 *
 * - agent: the TypeScript agent in the S1-agent sidecar (one long-lived
 *   `ip monitor`, one `bridge -batch -` and one `ip -batch -`, answers from
 *   its in-memory view of the registry);
 * - shell: a loop built the way the seed's is: `ip monitor neigh dev vxlan100`
 *   piped into `while read`, one `grep` in a hard-coded table and one
 *   `bridge fdb replace` / `ip neigh replace` process per miss, run in S1.
 *   While it runs, the agent is stopped (config moved away so its supervisor
 *   idles, node killed by PID) and its registry lease is kept alive by
 *   `etcdctl lease keep-alive`, so S1's own hosts stay published.
 *
 * Timestamps come from one `ip -ts monitor neigh` in S1's namespace: the
 * kernel's miss notification and the FDB/neighbour notification of the
 * install travel on the same netlink group and are stamped by the same
 * process, in order. Pairs: L2 miss (`miss dev vxlan100 lladdr M`) -> first
 * FDB add for M (`<vtep> dev vxlan100 lladdr M ... NOARP PERMANENT`); L3 miss
 * (`miss A dev vxlan100`) -> first neighbour add for A (`A dev vxlan100 lladdr
 * M ... PERMANENT`). Every miss uses a fresh MAC/address.
 *
 *   node --import tsx bench/miss-latency.ts [--misses 1000] [--variant unicast-dynamic-l2|unicast-dynamic-nd]
 *     [--interval-ms 20] [--fresh 50] [--waits 1,3] [--gap-ms 50]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";
import { parseIpv6 } from "../src/agent/addr";
import { AgentStatusSchema, type AgentStatus } from "../src/agent/status";
import { FdbSchema, NeighSchema, NftCountersSchema } from "../src/checks/schemas";
import { checkShape, parseJson } from "../src/util/json";
import { z } from "zod";
import { checkStack, stackTopology } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { docker } from "../src/docker/client";
import { exec } from "../src/docker/exec";
import { getNode, type Topology } from "../src/model";
import { AGENT_FILES } from "../src/overlay/agent";
import { REPO_ROOT } from "../src/util/paths";
import { MemoryStatsSchema, upStack } from "./lib";
import { benchArgs } from "./args";

const STACK = "bench-miss";
const DIR = "/tmp/bench-miss";
/**
 * Where the synthetic entries point. Not S3's loopback: an agent withdraws
 * registry entries that name its own VTEP but are none of its local hosts, so
 * S3's agent would delete them. The handlers' work does not depend on it.
 */
const PHANTOM_VTEP = "2001:db8:fd::1";
const HANDLERS = ["agent", "shell"] as const;
type Handler = (typeof HANDLERS)[number];
const KIND = { l2: 1, l3: 2, fresh: 3 } as const;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const hex2 = (n: number) => n.toString(16).padStart(2, "0");

// --- addresses ---------------------------------------------------------------------

interface Dest {
  mac: string;
  ip: string;
  /** the /112 of the address's batch */
  batch: string;
  /** the /96 of every address of its set */
  set: string;
}

/** Byte 3 of every MAC of one set: handler in the high nibble, set kind in the low one. */
const tag = (h: Handler, kind: number) => ((HANDLERS.indexOf(h) + 1) << 4) | kind;

/** Addresses of a set come in batches of this many (one /112 each), so H1's entries can be flushed batch by batch. */
const BATCH = 64;

/**
 * n fresh MAC/address pairs, unique per handler and set:
 * 02:b5:<tag>:<j as 24 bits> and 2001:db8:ff::b5<tag>:<batch>:<index in batch>.
 */
function dests(h: Handler, kind: number, n: number): Dest[] {
  const t = hex2(tag(h, kind));
  return Array.from({ length: n }, (_, i) => {
    const j = i + 1;
    const b = (Math.floor(i / BATCH) + 1).toString(16);
    return {
      mac: `02:b5:${t}:${hex2((j >> 16) & 0xff)}:${hex2((j >> 8) & 0xff)}:${hex2(j & 0xff)}`,
      ip: `2001:db8:ff::b5${t}:${b}:${((i % BATCH) + 1).toString(16)}`,
      batch: `2001:db8:ff::b5${t}:${b}:0/112`,
      set: `2001:db8:ff::b5${t}:0:0/96`,
    };
  });
}

// --- running things in the lab ------------------------------------------------------

async function run(container: string, script: string, input?: string): Promise<string> {
  const r = await exec(container, ["sh", "-c", script], input);
  if (r.code !== 0)
    throw new Error(`${container}: exit ${r.code}: ${script}\n${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** A background process in its own session; returns its PID (= its process group). */
async function spawnIn(container: string, name: string, cmd: string): Promise<number> {
  const out = await run(
    container,
    `mkdir -p ${DIR} && setsid ${cmd} > ${DIR}/${name}.log 2>&1 < /dev/null & echo $!`,
  );
  const pid = Number(out.trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`${container}: no PID for ${cmd}: ${out}`);
  return pid;
}

/** Ends a process group started by spawnIn, by its ID only. */
async function killGroup(container: string, pid: number): Promise<void> {
  await exec(container, [
    "sh",
    "-c",
    `kill -TERM -- -${pid} 2>/dev/null; kill -TERM ${pid} 2>/dev/null; true`,
  ]);
}

async function status(sidecar: string): Promise<AgentStatus> {
  return parseJson(
    AgentStatusSchema,
    await run(sidecar, `cat ${AGENT_FILES.status}`),
    `${sidecar}: agent status`,
  );
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? `: ${String(last)}` : ""}`,
  );
}

/** Puts and deletes through etcd's JSON gateway, from a sidecar's node (the registry image has no HTTP client). */
async function registryWrite(
  via: string,
  url: string,
  puts: [string, string][],
  deletes: string[] = [],
): Promise<void> {
  const script = `
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", async () => {
      const { url, puts, deletes } = JSON.parse(s);
      const b = (x) => Buffer.from(x, "utf8").toString("base64");
      const ops = [
        ...puts.map(([k, v]) => ({ request_put: { key: b(k), value: b(v) } })),
        ...deletes.map((k) => ({ request_delete_range: { key: b(k) } })),
      ];
      for (let i = 0; i < ops.length; i += 100) {
        const r = await fetch(url + "/v3/kv/txn", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ success: ops.slice(i, i + 100) }),
        });
        if (!r.ok) { console.error(r.status, await r.text()); process.exit(1); }
      }
    });`;
  const r = await exec(via, ["node", "-e", script], JSON.stringify({ url, puts, deletes }));
  if (r.code !== 0) throw new Error(`registry write via ${via}: ${r.stderr.trim()}`);
}

/** Resident memory of a container's cgroup without page cache, in bytes (as `docker stats` counts it). */
async function cgroupMemory(container: string): Promise<number> {
  const stats = await docker().getContainer(container).stats({ stream: false });
  const s = checkShape(MemoryStatsSchema, stats, `${container}: engine stats`);
  const m = s.memory_stats;
  return (m.usage ?? NaN) - (m.stats?.cache ?? m.stats?.inactive_file ?? 0);
}

// --- the kernel's side ----------------------------------------------------------------

/** Entries in the IPv6 neighbour table, which every namespace on the machine shares (/proc/net/stat/ndisc_cache, hex). */
function ndEntries(): number {
  try {
    const row = readFileSync("/proc/net/stat/ndisc_cache", "utf8").split("\n")[1] ?? "";
    return parseInt(row.trim().split(/\s+/)[0] ?? "", 16);
  } catch {
    return NaN;
  }
}

const readNumber = (path: string) => {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return NaN;
  }
};

/** "neighbor table overflow" lines in the kernel log (rate-limited there: a lower bound). */
function overflowMessages(): number {
  try {
    return (execaSync("dmesg").stdout.match(/neighbor table overflow/g) ?? []).length;
  } catch {
    return NaN;
  }
}

interface Ev {
  /** microseconds, monitor clock */
  t: number;
  kind: "l2miss" | "l3miss" | "fdb" | "neigh";
  /** MAC for l2miss/fdb, address for l3miss/neigh */
  key: string;
}

/**
 * `ip -ts monitor neigh` lines (text only: `-j` is ignored by monitors):
 *   [2026-11-24T10:05:12.351538] miss 2001:db8:ff::b513:1:1 dev vxlan100 STALE
 *   [..] miss dev vxlan100 lladdr 02:b5:13:00:00:01 STALE
 *   [..] 2001:db8:3::1 dev vxlan100 lladdr 02:b5:13:00:00:01 extern_learn NOARP PERMANENT   (VXLAN FDB, dst = a VTEP)
 *   [..] 2001:db8:ff::b513:1:1 dev vxlan100 lladdr 02:b5:13:00:00:01 extern_learn PERMANENT (neighbour)
 * "Deleted ..." lines, bridge (master) FDB lines without an address and other devices are skipped.
 */
export function parseMonitor(text: string, device: string, vteps: Set<string>): Ev[] {
  const out: Ev[] = [];
  for (const line of text.split("\n")) {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{1,6})\]\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, secs = "", frac = "", rest = ""] = m;
    const t = Date.parse(`${secs}Z`) * 1000 + Number(frac.padEnd(6, "0"));
    const tok = rest.split(/\s+/);
    const lladdr = tok.indexOf("lladdr");
    const mac = lladdr >= 0 ? (tok[lladdr + 1] ?? "").toLowerCase() : "";
    if (tok[0] === "miss") {
      if (tok[1] === "dev" && tok[2] === device && mac) out.push({ t, kind: "l2miss", key: mac });
      const ip = parseIpv6(tok[1] ?? "");
      if (ip && tok[2] === "dev" && tok[3] === device) out.push({ t, kind: "l3miss", key: ip });
      continue;
    }
    const addr = parseIpv6(tok[0] ?? "");
    if (!addr || tok[1] !== "dev" || tok[2] !== device || !mac) continue;
    if (vteps.has(addr)) out.push({ t, kind: "fdb", key: mac });
    else out.push({ t, kind: "neigh", key: addr });
  }
  return out;
}

interface Paired {
  sent: number;
  /** keys that raised at least one miss */
  missed: number;
  /** misses beyond the first per key */
  repeatMisses: number;
  /** latencies in ms, sorted */
  lat: number[];
  /** misses per second over the run, from the first-miss timestamps */
  rate: number;
}

function pair(evs: Ev[], keys: string[], miss: Ev["kind"], install: Ev["kind"]): Paired {
  const want = new Set(keys);
  const first = new Map<string, number>();
  const installed = new Map<string, number>();
  let repeat = 0;
  for (const e of evs) {
    if (!want.has(e.key)) continue;
    if (e.kind === miss) {
      if (first.has(e.key)) repeat++;
      else first.set(e.key, e.t);
    } else if (e.kind === install) {
      const m = first.get(e.key);
      if (m !== undefined && !installed.has(e.key)) installed.set(e.key, e.t - m);
    }
  }
  const ts = [...first.values()].sort((a, b) => a - b);
  const span = ((ts[ts.length - 1] ?? 0) - (ts[0] ?? 0)) / 1e6;
  return {
    sent: keys.length,
    missed: first.size,
    repeatMisses: repeat,
    lat: [...installed.values()].map((us) => us / 1000).sort((a, b) => a - b),
    rate: ts.length > 1 && span > 0 ? (ts.length - 1) / span : NaN,
  };
}

/** Nearest rank. */
const pct = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;

// --- the lab's roles ----------------------------------------------------------------

interface Lab {
  t: Topology;
  device: string;
  s1: string;
  h1: string;
  h4: string;
  sidecar: string;
  /** another VTEP's sidecar: a node to talk to the registry from */
  writer: string;
  registry: string;
  registryUrl: string;
  prefix: string;
  s3Loopback: string;
  uplinks: string[];
  vteps: Set<string>;
}

function roles(t: Topology): Lab {
  const h1 = t.hosts[0];
  const far = [...t.hosts].reverse().find((h) => h.vtep !== h1?.vtep);
  const r = t.registry;
  if (!h1 || !far || !r) throw new Error("need a registry and two hosts behind different VTEPs");
  const s1 = getNode(t, h1.vtep);
  const s3 = getNode(t, far.vtep);
  const other = Object.entries(r.agents).find(([v]) => v !== s1.name)?.[1] ?? "";
  return {
    t,
    device: t.vxlan.device,
    s1: s1.container,
    h1: getNode(t, h1.name).container,
    h4: getNode(t, far.name).container,
    sidecar: getNode(t, r.agents[s1.name] ?? "").container,
    writer: getNode(t, other).container,
    registry: getNode(t, r.node).container,
    registryUrl: r.url,
    prefix: r.keyPrefix,
    s3Loopback: s3.loopback ?? "",
    uplinks: s1.interfaces
      .filter((i) => t.links.some((l) => l.name === i.link && l.kind === "underlay"))
      .map((i) => i.name),
    vteps: new Set([
      PHANTOM_VTEP,
      ...t.nodes.filter((n) => n.kind === "vtep").map((n) => parseIpv6(n.loopback ?? "") ?? ""),
    ]),
  };
}

// --- load ----------------------------------------------------------------------------

/** One unicast frame per MAC from H1 (static neighbour entry + one ping), paced: each raises one L2 miss. */
async function sendL2(lab: Lab, ds: Dest[], intervalMs: number): Promise<void> {
  const add = ds.map((d) => `neigh replace ${d.ip} lladdr ${d.mac} dev eth0 nud permanent`).join("\n");
  await run(lab.h1, "ip -batch -", `${add}\n`);
  await run(
    lab.h1,
    `while read ip; do ping -6 -n -q -c1 -W0.01 "$ip" >/dev/null 2>&1; sleep ${intervalMs / 1000}; done`,
    ds.map((d) => d.ip).join("\n") + "\n",
  );
  await run(lab.h1, "ip -batch -", ds.map((d) => `neigh del ${d.ip} dev eth0`).join("\n") + "\n");
}

/**
 * One ping per address from H1 with nothing cached: its neighbour solicitation
 * raises one L3 miss. The kernel's neighbour table is shared by every network
 * namespace (gc_thresh3 1024 entries for the whole machine, other labs
 * included), so H1's entries are flushed a batch at a time, two batches
 * behind: no more than ~3 x BATCH of them at once.
 */
async function sendL3(lab: Lab, ds: Dest[], intervalMs: number): Promise<void> {
  const lines: string[] = [];
  const batches: string[] = [];
  for (const d of ds) {
    const b = d.batch;
    if (batches[batches.length - 1] !== b) {
      const old = batches[batches.length - 2];
      if (old) lines.push(`f ${old}`);
      batches.push(b);
    }
    lines.push(`p ${d.ip}`);
  }
  await run(
    lab.h1,
    `while read op a; do case $op in ` +
      `p) ping -6 -n -q -c1 -W0.01 "$a" >/dev/null 2>&1; sleep ${intervalMs / 1000};; ` +
      `f) ip -6 neigh flush dev eth0 to "$a";; esac; done`,
    lines.join("\n") + "\n",
  );
}

/** H1's neighbour entries for a whole set (not the permanent ones). */
async function flushSet(lab: Lab, ds: Dest[]): Promise<void> {
  const first = ds[0];
  if (first) await run(lab.h1, `ip -6 neigh flush dev eth0 to ${first.set}`);
}

/** `ping -c1 -W<wait>` from H1 to each address, started gapMs apart; per address: answered, rtt. */
async function pings(
  lab: Lab,
  ds: Dest[],
  wait: number,
  gapMs: number,
): Promise<{ ip: string; ok: boolean; rtt: number }[]> {
  const out = `${DIR}/pings.out`;
  const script = [
    `mkdir -p ${DIR} && : > ${out} && cat > ${DIR}/pings.list`,
    `while read ip; do`,
    `  ( o=$(ping -6 -n -c1 -W${wait} "$ip" 2>&1); r=$?;`,
    `    t=$(printf '%s\\n' "$o" | sed -n 's/.*time=\\([0-9.]*\\) ms.*/\\1/p');`,
    `    echo "$ip $r $t" >> ${out} ) < /dev/null &`,
    `  sleep ${gapMs / 1000}`,
    `done < ${DIR}/pings.list`,
    `wait; cat ${out}`,
  ].join("\n");
  const text = await run(lab.h1, script, ds.map((d) => d.ip).join("\n") + "\n");
  return text
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [ip = "", code = "", rtt = ""] = l.split(" ");
      return { ip, ok: code === "0", rtt: rtt ? Number(rtt) : NaN };
    });
}

/** The macvlan of a fresh destination on H4: bm<set tag>x<index>. */
const ifnameOf = (d: Dest) => `bm${d.mac.slice(6, 8)}x${parseInt(d.mac.slice(12).replace(/:/g, ""), 16)}`;

/** Macvlans on H4, one per fresh destination, with the destination's MAC and address. */
async function makeFresh(lab: Lab, ds: Dest[]): Promise<void> {
  const lines = ds.flatMap((d) => {
    const ifname = ifnameOf(d);
    return [
      `link add ${ifname} link eth0 address ${d.mac} type macvlan mode bridge`,
      `addr add ${d.ip}/64 dev ${ifname} nodad`,
      `link set ${ifname} up`,
    ];
  });
  await run(lab.h4, "ip -batch -", lines.join("\n") + "\n");
}

/**
 * One packet from each fresh address: S3's agent learns and publishes it. To a
 * group nobody joined, so nothing answers: an announcement to ff02::1 would be
 * answered by every other macvlan, each answer a neighbour entry, n^2 in the
 * machine-wide neighbour table.
 */
async function announce(lab: Lab, ds: Dest[]): Promise<void> {
  const lines = ds.map((d) => `${d.ip} ${ifnameOf(d)}`);
  await run(
    lab.h4,
    `while read ip dev; do ping -6 -n -q -c1 -W0.05 -I "$ip" "ff02::dead%$dev" >/dev/null 2>&1 || true; done`,
    lines.join("\n") + "\n",
  );
}

async function dropFresh(lab: Lab, ds: Dest[]): Promise<void> {
  await run(lab.h4, "ip -batch -", ds.map((d) => `link del ${ifnameOf(d)}`).join("\n") + "\n");
  await flushSet(lab, ds);
}

/** The fresh sets of a handler on H4, announced, and in S1's agent's view (l2: with their solicited-node entries). */
async function prepareFresh(lab: Lab, ds: Dest[]): Promise<void> {
  const s0 = await status(lab.sidecar);
  await makeFresh(lab, ds);
  await announce(lab, ds);
  await until(`S1's agent to see ${ds.length} fresh hosts`, 60_000, async () => {
    const s = await status(lab.sidecar);
    return s.view.macs >= s0.view.macs + ds.length && s.view.ips >= s0.view.ips + ds.length ? s : undefined;
  });
}

// --- S1's counters ----------------------------------------------------------------

/**
 * One nftables counter per fresh set: VXLAN packets leaving S1's uplinks that
 * carry an echo request to a MAC of the set. Offsets from the UDP header: inner
 * Ethernet at 16 bytes (UDP 8 + VXLAN 8), inner IPv6 at 30 (next header at 36),
 * ICMPv6 at 70. Only echo requests: the answers to the far side's unicast ND
 * probes (5 s after its first contact) go to the same MACs.
 */
async function setupCounters(lab: Lab, tags: number[]): Promise<void> {
  const up = lab.uplinks.map((u) => `"${u}"`).join(", ");
  const script = [
    "table inet bench_miss {",
    ...tags.map((g) => `  counter fresh${hex2(g)} { }`),
    "  chain out {",
    "    type filter hook postrouting priority 0; policy accept;",
    ...tags.map(
      (g) =>
        `    oifname { ${up} } udp dport ${lab.t.vxlan.port} @th,128,24 0x02b5${hex2(g)} @th,288,8 58 @th,560,8 128 counter name "fresh${hex2(g)}"`,
    ),
    "  }",
    "}",
  ].join("\n");
  await run(lab.s1, "nft delete table inet bench_miss 2>/dev/null; nft -f -", `${script}\n`);
}

async function counter(lab: Lab, g: number): Promise<number> {
  const cmd = `nft -j list counter inet bench_miss fresh${hex2(g)}`;
  const j = parseJson(NftCountersSchema, await run(lab.s1, cmd), `${lab.s1}: ${cmd}`);
  return j.nftables.find((x) => x.counter)?.counter?.packets ?? NaN;
}

/** `ip -j -s link show`, the counter read. */
const LinkStatsSchema = z.array(
  z.looseObject({
    stats64: z.looseObject({ tx: z.looseObject({ dropped: z.number().optional() }).optional() }).optional(),
  }),
);

async function txDropped(lab: Lab): Promise<number> {
  const cmd = `ip -j -s link show dev ${lab.device}`;
  const j = parseJson(LinkStatsSchema, await run(lab.s1, cmd), `${lab.s1}: ${cmd}`);
  return j[0]?.stats64?.tx?.dropped ?? NaN;
}

// --- handlers ---------------------------------------------------------------------

const CONFIG_AWAY = `${AGENT_FILES.config}.bench-miss`;

/** Stops S1's agent: its lease kept alive from the registry, config moved away (supervisor idles), node killed by PID. */
async function stopAgent(lab: Lab): Promise<{ keepalive: number; before: AgentStatus }> {
  const before = await status(lab.sidecar);
  if (!before.lease) throw new Error("S1's agent has no lease to keep alive");
  const keepalive = await spawnIn(
    lab.registry,
    "keepalive",
    `etcdctl lease keep-alive ${BigInt(before.lease).toString(16)}`,
  );
  await run(
    lab.sidecar,
    `mv ${AGENT_FILES.config} ${CONFIG_AWAY} && kill ${before.pid} && ` +
      `i=0; while kill -0 ${before.pid} 2>/dev/null; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done`,
  );
  return { keepalive, before };
}

/** Config back: the supervisor starts the agent within a second; wait until it serves and has republished. */
async function restoreAgent(
  lab: Lab,
  stopped: { keepalive: number; before: AgentStatus },
): Promise<AgentStatus> {
  await run(lab.sidecar, `[ -f ${AGENT_FILES.config} ] || mv ${CONFIG_AWAY} ${AGENT_FILES.config}`);
  const s = await until("S1's agent to restart and republish", 60_000, async () => {
    const st = await status(lab.sidecar);
    const back =
      st.pid !== stopped.before.pid &&
      st.registry === "up" &&
      st.lease !== null &&
      st.local.published >= stopped.before.local.published;
    return back ? st : undefined;
  });
  await killGroup(lab.registry, stopped.keepalive);
  return s;
}

/** The seed-style handler: one grep and one iproute2 process per miss. */
function shellLoop(device: string, table: string): string {
  return [
    "#!/bin/sh",
    "# Answers VXLAN misses from a hard-coded table, one process per event.",
    `ip monitor neigh dev ${device} | while read -r w1 w2 w3 rest; do`,
    '  [ "$w1" = miss ] || continue',
    '  if [ "$w2" = lladdr ]; then',
    "    # L2 miss: miss lladdr <mac> STALE; table line: <mac> <vtep>",
    `    set -- $(grep -m1 "^$w3 " ${table})`,
    `    [ $# -ge 2 ] && bridge fdb replace "$w3" dev ${device} dst "$2"`,
    "  else",
    "    # L3 miss: miss <address> STALE; table line: <address> <mac>",
    `    set -- $(grep -m1 "^$w2 " ${table})`,
    `    [ $# -ge 2 ] && ip neigh replace "$w2" lladdr "$2" dev ${device} nud permanent`,
    "  fi",
    "done",
    "",
  ].join("\n");
}

// --- one handler's run ------------------------------------------------------------------

interface FreshResult {
  wait: number;
  n: number;
  firstAnswered: number;
  firstRtt: number[];
  secondAnswered: number;
  vxlanOutFirst: number;
  vxlanOutSecond: number;
  txDroppedFirst: number;
  keys: Dest[];
}

interface HandlerRun {
  l2Keys: string[];
  l3Keys: Dest[];
  fresh: FreshResult[];
  span: { start: number; end: number };
}

async function measure(
  lab: Lab,
  h: Handler,
  opts: { misses: number; intervalMs: number; fresh: number; waits: number[]; gapMs: number; nd: boolean },
  log: (s: string) => void,
): Promise<HandlerRun> {
  const start = Date.now();
  const l2 = dests(h, KIND.l2, opts.misses);
  log(`${h}: ${l2.length} L2 misses, one every ${opts.intervalMs} ms`);
  await sendL2(lab, l2, opts.intervalMs);
  const l3 = opts.nd ? dests(h, KIND.l3, opts.misses) : [];
  if (opts.nd) {
    log(`${h}: ${l3.length} L3 misses, one every ${opts.intervalMs} ms`);
    await sendL3(lab, l3, opts.intervalMs);
    // the hosts' NS retransmits (1 s, 2 s) and the frames queued behind them, out of the next window
    await sleep(3000);
    const left = (await run(lab.h1, "ip -6 neigh show dev eth0 | wc -l")).trim();
    log(
      `${h}: H1 holds ${left} neighbour entries after the L3 run (batches flushed as it went); flushing the set`,
    );
    await flushSet(lab, l3);
  }
  const fresh: FreshResult[] = [];
  for (const [wi, wait] of opts.waits.entries()) {
    const g = tag(h, KIND.fresh + wi);
    const ds = dests(h, KIND.fresh + wi, opts.fresh);
    log(`${h}: first pings -W${wait} to ${ds.length} fresh destinations on H4`);
    const [c0, d0] = [await counter(lab, g), await txDropped(lab)];
    const first = await pings(lab, ds, wait, opts.gapMs);
    await sleep(1500); // what the first pings queued behind ND (sent after 1 s) is counted with them
    const [c1, d1] = [await counter(lab, g), await txDropped(lab)];
    const second = await pings(lab, ds, 1, opts.gapMs);
    const c2 = await counter(lab, g);
    await dropFresh(lab, ds);
    fresh.push({
      wait,
      n: ds.length,
      firstAnswered: first.filter((p) => p.ok).length,
      firstRtt: first.filter((p) => p.ok).map((p) => p.rtt),
      secondAnswered: second.filter((p) => p.ok).length,
      vxlanOutFirst: c1 - c0,
      vxlanOutSecond: c2 - c1,
      txDroppedFirst: d1 - d0,
      keys: ds,
    });
  }
  await sleep(2500); // the monitor sees the last installs (and the ND retransmits' follow-ups)
  return { l2Keys: l2.map((d) => d.mac), l3Keys: l3, fresh, span: { start, end: Date.now() } };
}

// --- report ---------------------------------------------------------------------------

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : "-");

function latencyRows(h: Handler, what: string, p: Paired, present: number, intervalMs: number): string {
  const mean = p.lat.reduce((a, b) => a + b, 0) / (p.lat.length || NaN);
  return `| ${h} | ${what} | ${p.sent} | ${p.missed} | ${p.lat.length} | ${present} | ${f(pct(p.lat, 0.5))} | ${f(pct(p.lat, 0.99))} | ${f(p.lat[p.lat.length - 1] ?? NaN)} | ${f(mean)} | ${f(p.rate, 1)} (every ${intervalMs} ms + spawn) |`;
}

async function main() {
  const arg = benchArgs("bench/miss-latency.ts", [
    "variant",
    "misses",
    "interval-ms",
    "fresh",
    "gap-ms",
    "waits",
  ]);
  const variant = arg("variant", "unicast-dynamic-l2");
  const misses = Number(arg("misses", "1000"));
  const intervalMs = Number(arg("interval-ms", "20"));
  const freshN = Number(arg("fresh", "50"));
  const gapMs = Number(arg("gap-ms", "50"));
  const waits = arg("waits", "1,3").split(",").map(Number);
  if (!["unicast-dynamic-l2", "unicast-dynamic-nd"].includes(variant))
    throw new Error(`--variant must be unicast-dynamic-l2 or unicast-dynamic-nd, got ${variant}`);
  if (!(misses >= 1 && misses <= 60000) || !(freshN >= 1 && freshN <= 500))
    throw new Error("--misses must be 1..60000 and --fresh 1..500");
  if (!(intervalMs >= 0) || !(gapMs >= 0)) throw new Error("--interval-ms and --gap-ms must be >= 0");
  if (waits.length < 1 || waits.length > 3 || waits.some((w) => !(w > 0)))
    throw new Error("--waits takes 1 to 3 positive numbers, e.g. 1,3");
  const nd = variant === "unicast-dynamic-nd";
  const command = `node --import tsx bench/miss-latency.ts --variant ${variant} --misses ${misses} --interval-ms ${intervalMs} --fresh ${freshN} --waits ${waits.join(",")} --gap-ms ${gapMs}`;
  const log = (s: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const others = (await docker().listContainers())
    .map((c) => (c.Names[0] ?? "").replace(/^\//, ""))
    .filter((n) => n.startsWith("vxlab-") && !n.startsWith(`vxlab-${STACK}-`));

  const overflowBefore = overflowMessages();
  let ndPeak = 0;
  const sampler = setInterval(() => (ndPeak = Math.max(ndPeak, ndEntries() || 0)), 250);
  try {
    log(`up ${STACK} (${variant})`);
    await upStack(STACK, { variant });
    const t = await stackTopology(STACK);
    const lab = roles(t);
    log("checks (they also install the hosts' own entries, reverse paths included)");
    const report = await checkStack(STACK);
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    if (failed.length) log(`WARNING: failing checks: ${failed.join("; ")}`);

    // the measuring monitor, and counters
    const freshTags = HANDLERS.flatMap((h) => waits.map((_, wi) => tag(h, KIND.fresh + wi)));
    await setupCounters(lab, freshTags);
    const monitor = await spawnIn(lab.s1, "monitor", "ip -ts monitor neigh");
    await sleep(300);

    // synthetic registry entries for the agent's latency sets
    const agentL2 = dests("agent", KIND.l2, misses);
    const agentL3 = nd ? dests("agent", KIND.l3, misses) : [];
    const macVal = (vtep: string) => JSON.stringify({ vtep });
    await registryWrite(lab.writer, lab.registryUrl, [
      ...[...agentL2, ...agentL3].map((d): [string, string] => [
        `${lab.prefix}mac/${d.mac}`,
        macVal(PHANTOM_VTEP),
      ]),
      ...agentL3.map((d): [string, string] => [
        `${lab.prefix}ip/${d.ip}`,
        JSON.stringify({ mac: d.mac, vtep: PHANTOM_VTEP }),
      ]),
    ]);
    // fresh destinations that answer: macvlans on H4, learned and published by S3's agent
    const fresh = Object.fromEntries(
      HANDLERS.map((h) => [h, waits.flatMap((_, wi) => dests(h, KIND.fresh + wi, freshN))]),
    ) as Record<Handler, Dest[]>;
    const remote = t.hosts.filter((h) => h.vtep !== t.hosts[0]?.vtep).length;
    const wantMacs = remote + agentL2.length + agentL3.length;
    const wantIps = remote + agentL3.length;
    await until(`S1's agent to see ${wantMacs} MACs and ${wantIps} addresses`, 90_000, async () => {
      const s = await status(lab.sidecar);
      return s.view.macs >= wantMacs && s.view.ips >= wantIps ? s : undefined;
    });
    log(`${fresh.agent.length} macvlans on H4 for the agent`);
    await prepareFresh(lab, fresh.agent);

    const agentBefore = await status(lab.sidecar);
    const agentMemBefore = await cgroupMemory(lab.sidecar);
    const runOpts = { misses, intervalMs, fresh: freshN, waits, gapMs, nd };
    const runs = {} as Record<Handler, HandlerRun>;
    runs.agent = await measure(lab, "agent", runOpts, log);
    const agentAfter = await status(lab.sidecar);
    const agentMemAfter = await cgroupMemory(lab.sidecar);

    // the shell loop: the agent stopped, the same kind of sets in its table
    log(`${fresh.shell.length} macvlans on H4 for the shell loop`);
    await prepareFresh(lab, fresh.shell);
    log("stopping S1's agent (lease kept alive), starting the shell loop");
    const stopped = await stopAgent(lab);
    let loop = 0;
    let loopRssKb = NaN;
    let agentRestarted: AgentStatus | undefined;
    try {
      const shellL2 = dests("shell", KIND.l2, misses);
      const shellL3 = nd ? dests("shell", KIND.l3, misses) : [];
      const table = [
        ...[...shellL2, ...shellL3].map((d) => `${d.mac} ${PHANTOM_VTEP}`),
        ...shellL3.map((d) => `${d.ip} ${d.mac}`),
        ...fresh.shell.flatMap((d) => [`${d.mac} ${lab.s3Loopback}`, `${d.ip} ${d.mac}`]),
      ];
      await run(lab.s1, `mkdir -p ${DIR} && cat > ${DIR}/table`, table.join("\n") + "\n");
      await run(lab.s1, `cat > ${DIR}/loop.sh`, shellLoop(lab.device, `${DIR}/table`));
      loop = await spawnIn(lab.s1, "loop", `sh ${DIR}/loop.sh`);
      await sleep(300);
      runs.shell = await measure(lab, "shell", runOpts, log);
      const rss = await run(lab.s1, `ps -o rss= -s ${loop} || true`);
      loopRssKb = rss
        .split("\n")
        .map(Number)
        .filter((x) => x > 0)
        .reduce((a, b) => a + b, 0);
    } finally {
      if (loop) await killGroup(lab.s1, loop);
      log("restoring S1's agent");
      agentRestarted = await restoreAgent(lab, stopped);
    }

    await killGroup(lab.s1, monitor);
    const monitorLog = await run(lab.s1, `cat ${DIR}/monitor.log`);
    const evs = parseMonitor(monitorLog, lab.device, lab.vteps);
    // a monitor that falls behind loses notifications: iproute2 says so on stderr and goes on
    const overrun = (text: string) => (text.match(/No buffer space|receive error/g) ?? []).length;
    const overruns = {
      monitor: overrun(monitorLog),
      loop: overrun(await run(lab.s1, `cat ${DIR}/loop.log`)),
    };
    // what S1's tables hold at the end (both handlers' entries are permanent), read as JSON
    const tables = {
      fdb: new Set(
        parseJson(
          FdbSchema,
          (await run(lab.s1, `bridge -j fdb show dev ${lab.device}`)) || "[]",
          "S1 fdb",
        ).map((e) => e.mac.toLowerCase()),
      ),
      neigh: new Set(
        parseJson(
          NeighSchema,
          (await run(lab.s1, `ip -j neigh show dev ${lab.device} nud all`)) || "[]",
          "S1 neigh",
        ).map((e) => parseIpv6(e.dst) ?? e.dst),
      ),
    };
    const count = (have: Set<string>, keys: string[]) => keys.filter((k) => have.has(k)).length;

    // --- figures
    const lines: string[] = [];
    const out = (s = "") => lines.push(s);
    out(
      `Variant \`${variant}\`, VTEP S1, misses raised from H1. ${misses} fresh MACs per handler for L2${nd ? ` and ${misses} fresh addresses for L3` : ""}.`,
    );
    out();
    out("Miss -> installed entry (ms, from `ip -ts monitor neigh` in S1):");
    out();
    out(
      "| handler | miss | sent | missed | install seen | in the table at the end | p50 | p99 | max | mean | misses/s |",
    );
    out("|---|---|---|---|---|---|---|---|---|---|---|");
    const paired = {} as Record<Handler, { l2: Paired; l3?: Paired; followL2: number }>;
    for (const h of HANDLERS) {
      const r = runs[h];
      const l2 = pair(evs, r.l2Keys, "l2miss", "fdb");
      out(latencyRows(h, "L2 -> FDB entry", l2, count(tables.fdb, r.l2Keys), intervalMs));
      let l3: Paired | undefined;
      let followL2 = 0;
      if (nd) {
        l3 = pair(
          evs,
          r.l3Keys.map((d) => d.ip),
          "l3miss",
          "neigh",
        );
        out(
          latencyRows(
            h,
            "L3 -> neighbour entry",
            l3,
            count(
              tables.neigh,
              r.l3Keys.map((d) => d.ip),
            ),
            intervalMs,
          ),
        );
        const macs = new Set(r.l3Keys.map((d) => d.mac));
        followL2 = evs.filter((e) => e.kind === "l2miss" && macs.has(e.key)).length;
      }
      paired[h] = { l2, l3, followL2 };
    }
    if (nd) {
      out();
      out(
        `L2 misses that followed the L3 misses (the frame sent once ND resolved): agent ${paired.agent.followL2}, shell ${paired.shell.followL2} (of ${misses} each).`,
      );
    }
    out();
    out(
      `First packet to a fresh destination that answers (a macvlan on H4, published by S3's agent), ${freshN} per row, \`ping -c1 -W<wait>\` from H1 started ${gapMs} ms apart:`,
    );
    out();
    out(
      "| handler | wait s | first ping lost | first-ping RTT p50 ms | misses raised (L2/L3) | echo requests out of S1's uplinks (first pings) | vxlan100 tx_dropped (first pings) | second ping answered |",
    );
    out("|---|---|---|---|---|---|---|---|");
    for (const h of HANDLERS) {
      for (const fr of runs[h].fresh) {
        const macs = new Set(fr.keys.map((d) => d.mac));
        const ips = new Set(fr.keys.map((d) => d.ip));
        const l2m = evs.filter((e) => e.kind === "l2miss" && macs.has(e.key)).length;
        const l3m = evs.filter((e) => e.kind === "l3miss" && ips.has(e.key)).length;
        const lost = fr.n - fr.firstAnswered;
        out(
          `| ${h} | ${fr.wait} | ${lost}/${fr.n} (${f((100 * lost) / fr.n, 0)} %) | ${f(
            pct(
              [...fr.firstRtt].sort((a, b) => a - b),
              0.5,
            ),
            1,
          )} | ${l2m}/${l3m} | ${fr.vxlanOutFirst} | ${fr.txDroppedFirst} | ${fr.secondAnswered}/${fr.n} |`,
        );
      }
    }
    out();
    const mb = (b: number) => f(b / 2 ** 20, 1);
    out("Agent (S1) status around its run:");
    out();
    out(
      "| | rssBytes (MiB) | sidecar cgroup (MiB) | misses l2/l3 | resolved l2/l3 | unknown l2/l3 | installed fdb/neigh/multicast | view macs/ips |",
    );
    out("|---|---|---|---|---|---|---|---|");
    for (const [name, s, m] of [
      ["before", agentBefore, agentMemBefore],
      ["after", agentAfter, agentMemAfter],
    ] as const) {
      out(
        `| ${name} | ${mb(s.rssBytes)} | ${mb(m)} | ${s.misses.l2}/${s.misses.l3} | ${s.resolved.l2}/${s.resolved.l3} | ${s.unknown.l2}/${s.unknown.l3} | ${s.installed.fdb}/${s.installed.neigh}/${s.installed.multicast} | ${s.view.macs}/${s.view.ips} |`,
      );
    }
    out();
    out(
      `Shell loop (S1): resident memory of its session (sh, ip monitor, the loop's subshell) ${f(loopRssKb / 1024, 1)} MiB.`,
    );
    out(
      `Agent after the shell run: restarted by its supervisor (pid ${stopped.before.pid} -> ${agentRestarted?.pid}), registry ${agentRestarted?.registry}, resync adopted its extern_learn entries.`,
    );
    out(
      `Netlink overruns reported (notifications lost): measuring monitor ${overruns.monitor}, shell loop's monitor ${overruns.loop}.`,
    );
    const overflows = overflowMessages() - overflowBefore;
    out(
      `Machine-wide IPv6 neighbour table (shared by every namespace, other labs included): peak ${ndPeak} entries during the run, permanent ones included (they do not count against gc_thresh3, ${readNumber("/proc/sys/net/ipv6/neigh/default/gc_thresh3")}); "neighbor table overflow" kernel messages during the run: ${Number.isNaN(overflows) ? "dmesg unreadable" : overflows}.`,
    );
    if (overflows > 0) log(`WARNING: ${overflows} neighbour table overflow messages during the run`);
    if (failed.length) out(`\nChecks that failed before the measurement: ${failed.join("; ")}`);
    const body = lines.join("\n");
    console.log(`\n# miss latency: ${variant}\n\n${body}\n`);

    const iproute = (await run(lab.s1, "ip -V")).trim();
    writeResults(
      variant,
      iproute,
      { before: agentBefore, after: agentAfter, loopKb: loopRssKb },
      command,
      body,
      others,
      paired,
      runs,
      nd,
    );
    log(`written ${resultsFile().file}`);
  } finally {
    clearInterval(sampler);
    log(`destroy ${STACK}`);
    await destroyStack(STACK, { keepConfig: false });
  }
}

// --- results file ------------------------------------------------------------------------

function resultsFile(): { file: string; date: string } {
  const date = execaSync("date", ["+%F"]).stdout.trim();
  return { file: join(REPO_ROOT, "bench", "results", `${date}-miss-latency.md`), date };
}

interface Memory {
  before: AgentStatus;
  after: AgentStatus;
  loopKb: number;
}

function explanation(
  paired: Record<Handler, { l2: Paired; l3?: Paired; followL2: number }>,
  nd: boolean,
  mem: Memory,
): string {
  const a = paired.agent.l2.lat;
  const s = paired.shell.l2.lat;
  const ratio = pct(s, 0.5) / pct(a, 0.5);
  return [
    "Why they differ:",
    "",
    `- The agent's miss path is a line read from a pipe it already has open, a map lookup, and one line written to a \`bridge -batch -\` it already has open: no process is created. The shell loop runs \`grep\` over its table and then forks and execs \`bridge\` (or \`ip\`), which opens its own netlink socket, for every miss: the median L2 miss took ${f(ratio, 1)}x as long (${f(pct(s, 0.5))} ms against ${f(pct(a, 0.5))} ms), and its tail follows the scheduler (${cpus().length} CPUs shared with the whole lab).`,
    "- Neither handler can save the frame that raised the miss: `vxlan_xmit` finds no FDB entry and no default entry, sends the L2 miss notification and drops the frame (it counts in vxlan100's tx_dropped, and no VXLAN packet for it leaves the uplinks). An L3 miss comes from the `proxy` path: the neighbour solicitation is consumed (not forwarded, not counted as dropped) after the notification. So the first exchange to a new destination always loses one frame, whatever the handler's speed; what the handler decides is what happens next.",
    nd
      ? `- With \`l3miss\` (nd variant) the host's first solicitation is consumed; the host retransmits it after its RetransTimer (1 s), the proxy answers from the installed entry, and the queued echo request leaves. The agent installs the MAC's FDB entry together with the neighbour entry, so that echo request crosses (${paired.agent.followL2} follow-up L2 misses in the latency run) and is answered just after 1 s: lost for \`-W1\`, answered with a longer wait. The shell loop, one command per event as the seed's, installs only the neighbour entry at the L3 miss, so the echo request raises an L2 miss of its own and is dropped too (${paired.shell.followL2} follow-up L2 misses, so two misses and two process spawns per new address, which also loads its L3 figures): the first ping is lost for any wait.`
      : "- With `l2miss` only (l2 variant), neighbour discovery goes through the solicited-node entries the agent derives from the registry; the host's echo request is the first unicast frame to the new MAC and is dropped at the miss. `ping -c1` sends nothing more, so the first ping is lost for any wait and any handler; the second one crosses.",
    `- Memory: the agent is a Node.js process, ${f(mem.before.rssBytes / 2 ** 20, 0)} MiB resident before its run (most of it the runtime) and ${f(mem.after.rssBytes / 2 ** 20, 0)} MiB after it, with ${mem.after.view.macs} MACs and ${mem.after.view.ips} addresses in its view and ${mem.after.installed.fdb + mem.after.installed.neigh} entries installed (V8 grows its heap before it collects, so the growth is an upper bound). The shell loop's session holds ${f(mem.loopKb / 1024, 0)} MiB, but pays for every miss in process creation, and knows only the table it was given: no registry, no withdrawal, no resync.`,
  ].join("\n");
}

function writeResults(
  variant: string,
  iproute: string,
  mem: Memory,
  command: string,
  body: string,
  others: string[],
  paired: Record<Handler, { l2: Paired; l3?: Paired; followL2: number }>,
  runs: Record<Handler, HandlerRun>,
  nd: boolean,
): void {
  const { file, date } = resultsFile();
  const cpu = cpus();
  const minutes = (r: HandlerRun) => f((r.span.end - r.span.start) / 60000, 1);
  const section = [
    `<!-- variant:${variant} -->`,
    `## ${variant}`,
    "",
    `Reproduce: \`${command}\``,
    "",
    `Measured ${new Date().toISOString()}; agent run ${minutes(runs.agent)} min, shell run ${minutes(runs.shell)} min. ${others.length ? `${others.length} containers of other lab stacks were running on the same engine at the start (e2e tests in parallel): the tails include their load.` : "No other lab stack was running."}${iproute ? ` S1's iproute2: ${iproute}.` : ""}`,
    "",
    body,
    "",
    explanation(paired, nd, mem),
    `<!-- end:${variant} -->`,
  ].join("\n");
  const header = [
    `# Miss handling: the agent against a seed-style shell loop, ${date}`,
    "",
    `Machine: kernel ${release()}, ${cpu.length} CPUs (${cpu[0]?.model ?? "?"}), ${f(totalmem() / 2 ** 30, 0)} GiB.`,
    "",
    "Method: `bench/miss-latency.ts` (its header comment has the details). One `ip -ts monitor neigh` in S1's namespace stamps the kernel's miss notification and the notification of the entry the handler installs; pairs are made by MAC (L2 miss -> VXLAN FDB add) or by address (L3 miss -> neighbour add), every miss to a MAC/address never used before. The agent's synthetic entries are published to etcd (no lease) and point at a VTEP address no agent owns; the shell loop reads the same kind of entries from its table file. First-packet destinations are macvlans on H4 that really answer. The agent is measured first (as deployed), then stopped (lease kept alive) for the shell loop, then restored.",
  ].join("\n");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const sections = [...old.matchAll(/<!-- variant:([\w-]+) -->[\s\S]*?<!-- end:\1 -->/g)]
    .filter((m) => m[1] !== variant)
    .map((m) => m[0]);
  sections.push(section);
  sections.sort();
  mkdirSync(join(REPO_ROOT, "bench", "results"), { recursive: true });
  writeFileSync(file, `${header}\n\n${sections.join("\n\n")}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
