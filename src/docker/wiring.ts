/**
 * All link plumbing in one place. Veth pairs go straight between two
 * containers' network namespaces; only a process that sees both namespaces
 * can make them, so every lab has one long-lived wiring helper (host PID
 * namespace, NET_ADMIN, SYS_ADMIN, SYS_PTRACE) and every batch of link work
 * is one exec in it: no container per link, nothing assumed about where the
 * program runs. Knows nothing of VXLAN.
 */
import { z } from "zod";
import { parseJson } from "../util/json";
import { Coalescer } from "./batch";
import { engineKey, nameOf, targetOf, type ContainerRef, type EngineAccess } from "./client";
import { exec, runScript } from "./exec";

/** The helper's needs: nsenter into other containers' namespaces (SYS_ADMIN, SYS_PTRACE), links (NET_ADMIN). */
export const HELPER_CAPABILITIES = ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"];

export interface LinkEnd {
  container: string;
  /** The engine that holds the container; absent: the default one. */
  engine?: EngineAccess;
  /** The container's init PID on the engine host: names its network namespace. */
  pid: number;
  iface: string;
  /** Set on this end when given (a host's own MAC). */
  mac?: string;
  /** Addresses with length, added with nodad (a host's, whose config lives with its link). */
  addresses?: string[];
}

export interface VethSpec {
  a: LinkEnd;
  b: LinkEnd;
  mtu: number;
}

/** Words that reach a shell unquoted: interface names, MACs, addresses, numbers. */
const SAFE = /^[A-Za-z0-9_.:/-]+$/;
export function word(s: string | number): string {
  const w = String(s);
  if (!SAFE.test(w)) throw new Error(`refusing ${JSON.stringify(w)} in a wiring script`);
  return w;
}

/** `ip -batch` lines for one namespace, run through nsenter. */
function inNetns(pid: number, lines: string[], tolerant = false): string[] {
  if (lines.length === 0) return [];
  // The here-document belongs to ip, so `|| true` comes after it: `ip ... || true <<EOF` would feed `true`.
  const ip = tolerant ? "ip -force -batch - 2>/dev/null <<'EOF' || true" : "ip -batch - <<'EOF'";
  return [`nsenter -t ${word(pid)} -n ${ip}`, ...lines, "EOF"];
}

export function byPid<T>(items: readonly T[], key: (x: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const x of items) {
    const k = key(x);
    let list = m.get(k);
    if (!list) m.set(k, (list = []));
    list.push(x);
  }
  return m;
}

export function endSettings(e: LinkEnd): string[] {
  return [
    ...(e.mac ? [`link set ${word(e.iface)} address ${word(e.mac)}`] : []),
    ...(e.addresses ?? []).map((a) => `addr add ${word(a)} dev ${word(e.iface)} nodad`),
    `link set ${word(e.iface)} up`,
  ];
}

/** Runs the blocks side by side and fails if any of them failed. */
export function parallel(blocks: string[][]): string[] {
  if (blocks.length === 0) return [];
  return [
    "pids=",
    ...blocks.flatMap((b) => ["(", ...b, ") &", 'pids="$pids $!"']),
    'for p in $pids; do wait "$p"; done',
  ];
}

/**
 * One script that makes every pair with one nsenter per namespace: each A side
 * clears a leftover of the same name (which takes its old peer with it), adds
 * its pairs and brings its ends up; then each B side gets its MAC and
 * addresses and comes up. Namespaces are worked on side by side.
 */
export function createScript(links: readonly VethSpec[]): string {
  const aSides = [...byPid(links, (l) => l.a.pid)].map(([pid, ls]) => [
    `nsenter -t ${word(pid)} -n sh -e <<'NS'`,
    "ip -force -batch - 2>/dev/null <<'EOF' || true",
    ...ls.map((l) => `link del ${word(l.a.iface)}`),
    "EOF",
    "ip -batch - <<'EOF'",
    ...ls.map(
      (l) =>
        `link add ${word(l.a.iface)} mtu ${word(l.mtu)} type veth peer name ${word(l.b.iface)} mtu ${word(l.mtu)} netns ${word(l.b.pid)}`,
    ),
    ...ls.flatMap((l) => endSettings(l.a)),
    "EOF",
    "NS",
  ]);
  const bSides = [
    ...byPid(
      links.map((l) => l.b),
      (e) => e.pid,
    ),
  ].map(([pid, es]) => inNetns(pid, es.flatMap(endSettings)));
  // `wait` on each child: a failed namespace fails the batch, with its error in the trace.
  return ["set -e", ...parallel(aSides), ...parallel(bSides)].join("\n");
}

/** Deleting one end removes the pair; an absent interface or namespace counts as deleted. */
export function deleteScript(ends: readonly { pid: number; iface: string }[]): string {
  return [...byPid(ends, (e) => e.pid)]
    .flatMap(([pid, es]) => [
      `if [ -e /proc/${word(pid)}/ns/net ]; then`,
      ...inNetns(
        pid,
        es.map((e) => `link del ${word(e.iface)}`),
        true,
      ),
      "fi",
    ])
    .join("\n");
}

/**
 * Every namespace's links as JSON, one line per PID: "<pid> <ip -j link show>"
 * ("null" when gone). A dump that links changing meanwhile interrupted fails
 * ("Dump was interrupted"): tried three times, or a link being made next door
 * would read as missing and be made again.
 */
export function readScript(pids: readonly number[]): string {
  return [...new Set(pids)]
    .map((p) => {
      // Into a variable first: a failed try may have printed part of its JSON.
      const show = `o=$(nsenter -t ${word(p)} -n ip -j link show 2>/dev/null)`;
      return `${show} || ${show} || ${show} || o=null; printf '%s %s\\n' ${word(p)} "$o"`;
    })
    .join("\n");
}

/** `ip -j link show` in one pid's namespace, or null when that namespace could not be entered. */
const LinkShowSchema = z
  .array(
    z.looseObject({
      ifname: z.string(),
      mtu: z.number(),
      operstate: z.string().optional(),
      ifindex: z.number().optional(),
      // A veth's peer, by its index in the peer's namespace.
      link_index: z.number().optional(),
    }),
  )
  .nullable();
export type IfaceState = NonNullable<z.output<typeof LinkShowSchema>>[number];

export function parseRead(stdout: string): Map<number, IfaceState[] | null> {
  const out = new Map<number, IfaceState[] | null>();
  for (const line of stdout.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp < 0) continue;
    const pid = line.slice(0, sp);
    out.set(
      Number(pid),
      parseJson(LinkShowSchema, line.slice(sp + 1), `ip -j link show in pid ${pid}'s namespace`),
    );
  }
  return out;
}

// One coalescer per helper (on its engine) and kind of work: a burst of link operations becomes one exec.
const creators = new Map<string, Coalescer<VethSpec, void>>();
const deleters = new Map<string, Coalescer<{ pid: number; iface: string }, void>>();
const readers = new Map<string, Coalescer<number, IfaceState[] | null>>();

export function coalescer<T, R>(
  m: Map<string, Coalescer<T, R>>,
  helper: ContainerRef,
  run: (items: T[]) => Promise<R[]>,
): Coalescer<T, R> {
  const t = targetOf(helper);
  const key = `${engineKey(t.engine)}|${t.container}`;
  let c = m.get(key);
  if (!c) m.set(key, (c = new Coalescer(run)));
  return c;
}

export function createLink(helper: ContainerRef, link: VethSpec): Promise<void> {
  return coalescer(creators, helper, async (links) => {
    await runScript(helper, createScript(links), `wiring ${links.length} link(s)`);
    return links.map(() => undefined);
  }).add(link);
}

export function deleteLinkEnd(helper: ContainerRef, end: { pid: number; iface: string }): Promise<void> {
  return coalescer(deleters, helper, async (ends) => {
    await runScript(helper, deleteScript(ends), `unwiring ${ends.length} link(s)`);
    return ends.map(() => undefined);
  }).add(end);
}

/** A namespace's interfaces, or null when the namespace is gone. */
export function readLinks(helper: ContainerRef, pid: number): Promise<IfaceState[] | null> {
  return coalescer(readers, helper, async (pids) => {
    const r = await exec(helper, ["sh", "-c", readScript(pids)]);
    if (r.code !== 0) throw new Error(`reading links through ${nameOf(helper)}: ${r.stderr.trim()}`);
    const m = parseRead(r.stdout);
    return pids.map((p) => m.get(p) ?? null);
  }).add(pid);
}

/** A script that only touches one network namespace (addresses, links, FDB, nftables): the helper can run it there. */
export interface NetnsScript {
  pid: number;
  /** Names it in errors (the lab node). */
  what: string;
  script: string;
}

const EOS = "VXLAN_LAB_EOS";

/**
 * One script that runs every item in its namespace side by side (`sh -ex`,
 * stdin closed), then prints "@@ <index> <exit code>" and that item's whole
 * output, item by item.
 */
export function netnsBatchScript(items: readonly NetnsScript[]): string {
  const lines = ["d=$(mktemp -d)", "pids="];
  items.forEach((it, i) => {
    if (it.script.split("\n").includes(EOS)) throw new Error(`${it.what}: a script line reads ${EOS}`);
    lines.push(
      `cat > "$d/${i}.sh" <<'${EOS}'`,
      it.script,
      EOS,
      `(nsenter -t ${word(it.pid)} -n sh -ex "$d/${i}.sh" </dev/null >"$d/${i}.out" 2>&1; echo $? > "$d/${i}.rc") &`,
      'pids="$pids $!"',
    );
  });
  lines.push(
    'for p in $pids; do wait "$p"; done',
    `for i in $(seq 0 ${items.length - 1}); do printf '@@ %s %s\\n' "$i" "$(cat "$d/$i.rc")"; cat "$d/$i.out"; done`,
    'rm -rf "$d"',
  );
  return lines.join("\n");
}

/** Per item: its exit code and output, from what netnsBatchScript printed. */
export function parseNetnsBatch(stdout: string, count: number): { code: number; output: string }[] {
  const out = Array.from({ length: count }, () => ({ code: -1, output: "" }));
  let cur: { code: number; output: string } | undefined;
  const lines = stdout.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const line of lines) {
    const m = /^@@ (\d+) (\d*)$/.exec(line);
    if (m) {
      cur = out[Number(m[1])];
      if (cur) cur.code = m[2] === "" ? -1 : Number(m[2]);
    } else if (cur) {
      cur.output += `${line}\n`;
    }
  }
  return out;
}

const netnsRunners = new Map<string, Coalescer<NetnsScript, { code: number; output: string }>>();

/** Runs a script in a container's network namespace through the helper; scripts of a burst share one exec. */
export async function runInNetns(helper: ContainerRef, item: NetnsScript): Promise<void> {
  const r = await coalescer(netnsRunners, helper, async (items) => {
    const x = await exec(helper, ["sh", "-c", netnsBatchScript(items)]);
    if (x.code !== 0)
      throw new Error(`running ${items.length} script(s) through ${nameOf(helper)}: ${x.stderr.trim()}`);
    return parseNetnsBatch(x.stdout, items.length);
  }).add(item);
  if (r.code !== 0) {
    throw new Error(`${item.what}: script failed with exit ${r.code}:\n${r.output.trim()}`);
  }
}
