/**
 * Checks shared by the variants. Kernel and FRR state is always read as JSON
 * (`bridge -j`, `ip -j`, `nft -j`, `mtr --json`); ping and friends count only
 * by their exit status.
 */
import pLimit from "p-limit";
import { getNode, type OverlayHost, type Topology } from "../model";
import { parseJson } from "../util/json";
import { vethPeers } from "../util/veth";
import {
  FdbSchema,
  LinksSchema,
  MtrReportSchema,
  NeighSchema,
  NftCountersSchema,
  type FdbEntry,
  type NeighEntry,
} from "./schemas";
import type { Check, CheckContext } from "./types";

export type { FdbEntry, NeighEntry };

async function run(ctx: CheckContext, node: string, argv: string[]): Promise<string> {
  const r = await ctx.exec(node, argv);
  if (r.code !== 0)
    throw new Error(`${node}: ${argv.join(" ")} exited ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** A command that must succeed: its stdout, or an error naming node, command and what it printed. */
export const execOk = run;

/** The VXLAN device's own FDB (entries with "self"), not the bridge's learned MACs. */
export async function vxlanFdb(ctx: CheckContext, vtep: string): Promise<FdbEntry[]> {
  const argv = ["bridge", "-j", "fdb", "show", "dev", ctx.t.vxlan.device];
  // iproute2 prints nothing at all (not "[]") for some empty tables.
  const all = parseJson(FdbSchema, (await run(ctx, vtep, argv)) || "[]", `${vtep}: ${argv.join(" ")}`);
  return all.filter((e) => e.flags.includes("self"));
}

export async function vxlanNeigh(ctx: CheckContext, vtep: string): Promise<NeighEntry[]> {
  const argv = ["ip", "-j", "-6", "neigh", "show", "dev", ctx.t.vxlan.device];
  return parseJson(NeighSchema, (await run(ctx, vtep, argv)) || "[]", `${vtep}: ${argv.join(" ")}`);
}

export const isStatic = (e: FdbEntry) => e.state === "permanent" || e.state === "static";
export const fdbKey = (e: { mac: string; dst?: string }) => `${e.mac}>${e.dst ?? ""}`;

export { bareAddress as address } from "../overlay/commands";
import { bareAddress as address } from "../overlay/commands";

/** Every ordered pair of hosts, or the pairs a predicate keeps. */
export function hostPairs(t: Topology, keep: (a: OverlayHost, b: OverlayHost) => boolean = () => true) {
  return t.hosts.flatMap((a) => t.hosts.filter((b) => b !== a && keep(a, b)).map((b) => [a, b] as const));
}

/** Runs f over items with at most `limit` calls in flight: large labs must not open thousands of execs at once. */
export function mapLimit<T, R>(items: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const slot = pLimit(limit);
  return Promise.all(items.map((x) => slot(() => f(x))));
}

const PING_TRIES = 3;

/** Sources probed at once: each runs all its pings in parallel inside one exec. */
const SOURCES_AT_ONCE = 32;

/**
 * One exec pings every target in parallel from inside the node and prints
 * "ok <target>" or "no <target>" per target; ping counts by its exit status.
 * A target gets up to PING_TRIES single pings (1 s each) inside the exec
 * before it counts as failed: the check's own retry would do the same, one
 * exec per round.
 */
export async function pingAll(
  ctx: CheckContext,
  from: string,
  targets: readonly string[],
): Promise<Set<string>> {
  for (const a of targets) if (!/^[0-9a-f:]+$/i.test(a)) throw new Error(`not an IPv6 address: ${a}`);
  const script =
    `for a in ${targets.join(" ")}; do (r=no; for i in $(seq ${PING_TRIES}); do ` +
    `if ping -6 -c1 -W1 -q "$a" >/dev/null 2>&1; then r=ok; break; fi; done; echo "$r $a") & done; wait`;
  const out = await run(ctx, from, ["sh", "-c", script]);
  const answered = new Set<string>();
  for (const line of out.split("\n")) if (line.startsWith("ok ")) answered.add(line.slice(3));
  return answered;
}

type Pair = readonly [OverlayHost, OverlayHost];

/** Each pair must answer a ping, both directions being separate pairs. A retry pings only the pairs that did not. */
export function reachability(pairs: readonly Pair[], name = "reachability"): Check {
  return {
    name: `${name}: ${pairs.length} host pairs answer ping`,
    async run(ctx, retry) {
      const todo = (retry as Pair[] | undefined) ?? pairs;
      const bySource = new Map<OverlayHost, OverlayHost[]>();
      for (const [a, b] of todo) bySource.set(a, [...(bySource.get(a) ?? []), b]);
      const sources = [...bySource];
      const answered = await mapLimit(sources, SOURCES_AT_ONCE, ([a, bs]) =>
        pingAll(ctx, a.name, bs.map(address)),
      );
      const failed = sources.flatMap(([a, bs], i) =>
        bs.filter((b) => !answered[i]?.has(address(b))).map((b) => [a, b] as const),
      );
      // A diagnostic only: it must not hide the failure it explains.
      const underlay = failed.length
        ? await underlayBetween(ctx, failed).catch((e: unknown) => `; underlay not read: ${String(e)}`)
        : "";
      return {
        ok: failed.length === 0,
        detail: failed.length
          ? `no answer: ${failed.map(([a, b]) => `${a.name}->${b.name}`).join(", ")}${underlay}`
          : "all answered",
        retry: failed,
      };
    },
  };
}

/**
 * For host pairs that did not answer: whether their VTEPs reach each other's
 * loopback, and each such VTEP's uplinks (state, or missing), so a failure
 * says whether the underlay or the overlay broke.
 */
async function underlayBetween(ctx: CheckContext, failed: readonly (readonly [OverlayHost, OverlayHost])[]) {
  const pairs = [
    ...new Set(failed.filter(([a, b]) => a.vtep !== b.vtep).map(([a, b]) => `${a.vtep}>${b.vtep}`)),
  ];
  const access = await accessPorts(ctx, [...new Set(failed.flat())]);
  if (pairs.length === 0) return access;
  const loopback = (vtep: string) => getNode(ctx.t, vtep).loopback ?? "";
  const underlayLinks = new Set(ctx.t.links.filter((l) => l.kind === "underlay").map((l) => l.name));
  // A VTEP in several failing pairs has its link table read once.
  const read = new Map<string, Promise<string>>();
  const uplinks = (vtep: string) => {
    const known = read.get(vtep);
    if (known) return known;
    const p = uplinksOf(vtep);
    read.set(vtep, p);
    return p;
  };
  const uplinksOf = async (vtep: string) => {
    const want = getNode(ctx.t, vtep)
      .interfaces.filter((i) => underlayLinks.has(i.link))
      .map((i) => i.name);
    const argv = ["ip", "-j", "link", "show"];
    const have = parseJson(LinksSchema, (await run(ctx, vtep, argv)) || "[]", `${vtep}: ${argv.join(" ")}`);
    return want.map((n) => `${n} ${have.find((i) => i.ifname === n)?.operstate ?? "missing"}`).join(", ");
  };
  const lines = await Promise.all(
    pairs.map(async (p) => {
      const [a = "", b = ""] = p.split(">");
      const ping = await ctx.exec(a, ["ping", "-6", "-c1", "-W1", "-I", loopback(a), loopback(b)]);
      return `${a} -> ${b}'s loopback ${ping.code === 0 ? "answers" : "does not answer"} (${a}: ${await uplinks(a)})`;
    }),
  );
  return `; underlay: ${lines.join("; ")}${access}`;
}

/**
 * Every host's veth to its VTEP, seen from both ends: the port's state and
 * bridge, and whether the two ends are still each other's peer (a link made
 * again without its port joining the bridge, or an end paired elsewhere,
 * darkens a host while the underlay answers).
 */
async function accessPorts(ctx: CheckContext, hosts: readonly OverlayHost[]): Promise<string> {
  const t = ctx.t;
  const links = async (node: string) => {
    const argv = ["ip", "-j", "link", "show"];
    return parseJson(LinksSchema, (await run(ctx, node, argv)) || "[]", `${node}: ${argv.join(" ")}`);
  };
  const lines = await Promise.all(
    hosts.map(async (h) => {
      const hostIface = getNode(t, h.name).interfaces[0]?.name ?? "";
      const [onVtep, onHost] = await Promise.all([links(h.vtep), links(h.name)]);
      const port = onVtep.find((i) => i.ifname === h.vtepPort);
      const own = onHost.find((i) => i.ifname === hostIface);
      if (!port || !own)
        return `${h.name}: ${port ? `${h.name}'s ${hostIface}` : `${h.vtep}'s ${h.vtepPort}`} missing`;
      return `${h.name}: ${h.vtep}'s ${h.vtepPort} ${port.operstate ?? "?"} in ${port.master ?? "no bridge"}, ${vethPeers(port, own) ? "paired with" : "NOT paired with"} ${h.name}'s ${hostIface}`;
    }),
  );
  return lines.length ? `; access: ${lines.join("; ")}` : "";
}

/**
 * Loads a throwaway nftables table with named counters into a node, runs
 * `send`, and returns each counter's packets (read as JSON). The table is
 * gone afterwards, whatever happened.
 */
export async function withCounters(
  ctx: CheckContext,
  node: string,
  table: { family: "inet" | "bridge"; name: string; counters: readonly string[]; chain: string },
  send: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const { family, name } = table;
  const rules = [
    `table ${family} ${name} {`,
    ...table.counters.map((c) => `  counter ${c} {}`),
    `  chain probe {`,
    `    ${table.chain}`,
    `  }`,
    `}`,
  ].join("\n");
  // One exec loads the table (replacing a leftover), one reads the counters and drops it.
  await run(ctx, node, [
    "sh",
    "-c",
    `nft delete table ${family} ${name} 2>/dev/null; printf '%s\\n' '${rules}' | nft -f -`,
  ]);
  let dropped = false;
  try {
    await send();
    // Head-end replication is immediate; leave a moment for the last copy.
    await new Promise((r) => setTimeout(r, 200));
    const listed = await run(ctx, node, [
      "sh",
      "-c",
      `nft -j list counters table ${family} ${name} && nft delete table ${family} ${name}`,
    ]);
    dropped = true;
    const out = parseJson(NftCountersSchema, listed, `${node}: nft -j list counters table ${family} ${name}`);
    const result: Record<string, number> = {};
    for (const c of table.counters) {
      const found = out.nftables.find((o) => o.counter?.name === c)?.counter;
      if (!found) throw new Error(`${node}: no counter ${c} in nft output`);
      result[c] = found.packets;
    }
    return result;
  } finally {
    if (!dropped) await ctx.exec(node, ["nft", "delete", "table", family, name]);
  }
}

/** Counts, with an nftables counter on the VTEP's uplinks, the VXLAN packets carrying one frame. */
export async function countVxlanPackets(
  ctx: CheckContext,
  vtep: string,
  innerDstMac: string,
  send: () => Promise<unknown>,
  via?: readonly string[],
): Promise<number> {
  const t = ctx.t;
  const uplinks = (
    via ??
    getNode(t, vtep)
      .interfaces.filter((i) => t.links.some((l) => l.name === i.link && l.kind === "underlay"))
      .map((i) => i.name)
  ).map((name) => `"${name}"`);
  // The inner Ethernet destination sits 16 bytes after the UDP header (8 UDP + 8 VXLAN):
  // matching it counts exactly our probe, never OSPF hellos or other overlay traffic.
  const mac = `0x${innerDstMac.replace(/:/g, "")}`;
  const chain = [
    "type filter hook postrouting priority 0; policy accept;",
    `oifname { ${uplinks.join(", ")} } udp dport ${t.vxlan.port} @th,128,48 ${mac} counter name "probe"`,
  ].join("\n    ");
  const c = await withCounters(
    ctx,
    vtep,
    { family: "inet", name: "vxlab_amp", counters: ["probe"], chain },
    send,
  );
  return c.probe ?? NaN;
}

/** A link-local multicast group nobody joined: a pure BUM frame that draws no reply. */
export const PROBE_GROUP = "ff02::dead";
export const PROBE_GROUP_MAC = "33:33:00:00:de:ad";

/**
 * Where VXLAN packets are counted: a VTEP's uplinks, or (`via`) the interfaces
 * its VXLAN device sends through when the VTEP routes them on itself.
 */
export interface Egress {
  via?: readonly string[];
}

const leaves = (host: OverlayHost, e: Egress) =>
  e.via ? `${host.vtep}'s VXLAN device (through ${e.via.join(", ")})` : host.vtep;

/** VXLAN packets a VTEP sends for one BUM frame from one of its hosts. */
export function amplification(
  host: OverlayHost,
  expected: number,
  what = "one BUM frame",
  egress: Egress = {},
): Check {
  return {
    quiet: true,
    name: `amplification: ${what} from ${host.name} leaves ${leaves(host, egress)} as ${expected} VXLAN packet(s)`,
    async run(ctx) {
      const n = await countVxlanPackets(
        ctx,
        host.vtep,
        PROBE_GROUP_MAC,
        // Nobody answers; the frame is on its way the moment ping sends it.
        () => ctx.exec(host.name, ["ping", "-6", "-c1", "-W0.1", `${PROBE_GROUP}%eth0`]),
        egress.via,
      );
      return { ok: n === expected, detail: `${n} VXLAN packet(s), expected ${expected}`, perBumFrame: n };
    },
  };
}

/** A frame to a MAC no FDB knows: flooded like BUM traffic, or dropped. */
export function unknownUnicast(host: OverlayHost, expected: number, egress: Egress = {}): Check {
  const mac = UNKNOWN_MAC;
  return {
    quiet: true,
    name: `unknown unicast: a frame from ${host.name} to unknown ${mac} leaves ${leaves(host, egress)} as ${expected} VXLAN packet(s)`,
    async run(ctx) {
      const n = await countVxlanPackets(
        ctx,
        host.vtep,
        mac,
        () => sendToUnknownMac(ctx, host, 1),
        egress.via,
      );
      return { ok: n === expected, detail: `${n} VXLAN packet(s), expected ${expected}` };
    },
  };
}

/** A MAC and address no host has. */
export const UNKNOWN_MAC = "50:54:33:00:00:fe";

/** `count` pings from the host to UNKNOWN_MAC, through a neighbour entry pinned for the occasion. */
export async function sendToUnknownMac(ctx: CheckContext, host: OverlayHost, count: number): Promise<void> {
  const ip = "2001:db8:ff::fe";
  await run(ctx, host.name, [
    "ip",
    "-6",
    "neigh",
    "replace",
    ip,
    "lladdr",
    UNKNOWN_MAC,
    "dev",
    "eth0",
    "nud",
    "permanent",
  ]);
  try {
    await ctx.exec(host.name, ["ping", "-6", `-c${count}`, "-i0.2", "-W0.1", ip]);
  } finally {
    // The pinned entry must not outlive the probe, whatever happened to it.
    await ctx.exec(host.name, ["ip", "-6", "neigh", "del", ip, "dev", "eth0"]);
  }
}

/** "address=MAC", with the state when it is not PERMANENT: what a proxy VTEP's neighbour table promises. */
export const neighKey = (e: NeighEntry) =>
  `${e.dst}=${e.lladdr ?? ""}${e.state?.includes("PERMANENT") ? "" : ` (${(e.state ?? []).join(",")})`}`;

/** One permanent neighbour entry per remote host on the VXLAN device, and nothing else. */
export const neighPerRemoteHost = (t: Topology, name: string) =>
  neighCheck(name, (_ctx, v, neigh) =>
    setDiff(
      neigh.map(neighKey),
      t.hosts.filter((x) => x.vtep !== v).map((x) => `${address(x)}=${x.mac}`),
    ),
  );

/** VTEP to VTEP across the underlay: the first hop is a router, the second the far loopback. */
export function paths(t: Topology): Check {
  const vteps = t.nodes.filter((n) => n.kind === "vtep");
  const routerAddrs = new Set(
    t.nodes
      .filter((n) => n.kind === "router")
      .flatMap((n) => [n.loopback ?? "", ...n.interfaces.map((i) => (i.address ?? "").split("/")[0])]),
  );
  const pairs = vteps.flatMap((a) => vteps.filter((b) => b !== a).map((b) => [a, b] as const)).slice(0, 2);
  return {
    name: "paths: VTEP to VTEP goes through a router",
    async run(ctx) {
      const bad = await Promise.all(
        pairs.map(async ([a, b]) => {
          // One probe per hop, 0.1 s apart, and 0.3 s of grace for the last reply instead of mtr's 5 s.
          const out = await run(ctx, a.name, [
            "mtr",
            "-6",
            "-n",
            "--json",
            "-c",
            "1",
            "-i",
            "0.1",
            "-G",
            "0.3",
            "-a",
            a.loopback ?? "",
            b.loopback ?? "",
          ]);
          const hubs = parseJson(MtrReportSchema, out, `${a.name}: mtr --json`).report.hubs.map(
            (h) => h.host,
          );
          const ok = hubs.length === 2 && routerAddrs.has(hubs[0] ?? "") && hubs[1] === b.loopback;
          return ok ? undefined : `${a.name}->${b.name} via ${hubs.join(" ")}`;
        }),
      );
      const failed = bad.filter((x): x is string => x !== undefined);
      return {
        ok: failed.length === 0,
        detail: failed.length ? failed.join("; ") : `${pairs.length} paths cross a router`,
      };
    },
  };
}

/** One table read on every VTEP at once and compared with what the variant promises; a retry rereads only the VTEPs that were off. */
function tableCheck<E>(
  name: string,
  read: (ctx: CheckContext, vtep: string) => Promise<E[]>,
  expect: (ctx: CheckContext, vtep: string, entries: E[]) => string | undefined | Promise<string | undefined>,
): Check {
  return {
    name: `tables: ${name}`,
    async run(ctx, retry) {
      const vteps =
        (retry as string[] | undefined) ?? ctx.t.nodes.filter((n) => n.kind === "vtep").map((n) => n.name);
      const problems = await Promise.all(vteps.map(async (v) => expect(ctx, v, await read(ctx, v))));
      const bad = vteps.flatMap((v, i) => (problems[i] ? [`${v}: ${problems[i]}`] : []));
      return {
        ok: bad.length === 0,
        detail: bad.length ? bad.join("; ") : "as promised on every VTEP",
        retry: vteps.filter((_, i) => problems[i]),
      };
    },
  };
}

/** The VXLAN device's FDB on every VTEP. */
export const fdbCheck = (
  name: string,
  expect: (
    ctx: CheckContext,
    vtep: string,
    fdb: FdbEntry[],
  ) => string | undefined | Promise<string | undefined>,
) => tableCheck(name, vxlanFdb, expect);

/** The VXLAN device's neighbour table on every VTEP. */
export const neighCheck = (
  name: string,
  expect: (ctx: CheckContext, vtep: string, neigh: NeighEntry[]) => string | undefined,
) => tableCheck(name, vxlanNeigh, expect);

/** Compares two sets of strings; undefined when equal, else what is missing and extra. */
export function setDiff(actual: readonly string[], expected: readonly string[]): string | undefined {
  const a = new Set(actual);
  const e = new Set(expected);
  const missing = [...e].filter((x) => !a.has(x));
  const extra = [...a].filter((x) => !e.has(x));
  if (!missing.length && !extra.length) return undefined;
  return [
    missing.length ? `missing ${missing.join(", ")}` : "",
    extra.length ? `unexpected ${extra.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}
