/**
 * Recorded lab output for unit tests of the variants' checks: what each check
 * ran in which node and what came back, replayed through a fake CheckContext.
 * Recorded by test/record-fixtures.ts from a real lab.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runChecks } from "../../../src/checks/run";
import type { Check, CheckContext, ExecResult } from "../../../src/checks/types";
import { resolveTopology, type Topology, type VariantName } from "../../../src/model";
import { REPO_ROOT } from "../../../src/util/paths";
import { variantFor } from "../../../variants";

/**
 * One answer to a command: JSON output is kept parsed (`json`), anything else
 * as text. A command that exited 0 and printed nothing is not recorded.
 */
export interface Answer {
  code?: number;
  json?: unknown;
  text?: string;
  stderr?: string;
}

export interface Fixture {
  recorded: string;
  variant: VariantName;
  stack: string;
  /** node -> command line (argv joined by spaces) -> its answers, in the order they were given. */
  calls: Record<string, Record<string, Answer[]>>;
}

export const FIXTURE_DIR = join(REPO_ROOT, "test/unit/fixtures/variants");

export const fixturePath = (variant: string) => join(FIXTURE_DIR, `${variant}.json`);

export const loadFixture = (variant: VariantName): Fixture =>
  JSON.parse(readFileSync(fixturePath(variant), "utf8")) as Fixture;

export const commandKey = (argv: readonly string[]) => argv.join(" ");

/** The topology the fixture was recorded from (node names and addresses do not depend on the stack name). */
export const topologyOf = (f: Fixture): Topology => resolveTopology({ stack: f.stack, variant: f.variant });

const toResult = (a: Answer): ExecResult => ({
  code: a.code ?? 0,
  stdout: a.json !== undefined ? JSON.stringify(a.json) : (a.text ?? ""),
  stderr: a.stderr ?? "",
});

/**
 * A lab that answers from a fixture: each command gets its recorded answers in
 * turn (the last one repeats); a command never recorded exited 0 silently.
 */
export function replay(f: Fixture, t: Topology = topologyOf(f)): { ctx: CheckContext; log: string[] } {
  const seen = new Map<string, number>();
  const log: string[] = [];
  const ctx: CheckContext = {
    t,
    exec(node, argv) {
      const key = commandKey(argv);
      log.push(`${node}: ${key}`);
      const answers = f.calls[node]?.[key];
      if (!answers?.length) return Promise.resolve({ code: 0, stdout: "", stderr: "" });
      const id = `${node}\0${key}`;
      const i = seen.get(id) ?? 0;
      seen.set(id, i + 1);
      return Promise.resolve(toResult(answers[Math.min(i, answers.length - 1)] as Answer));
    },
  };
  return { ctx, log };
}

/**
 * A deep copy of the fixture with every recorded answer of one command on one
 * node changed: `change` gets the answer's JSON (or text) and its place among
 * that command's answers (0 first), and returns the new one.
 */
export function mutate<T = unknown>(
  f: Fixture,
  node: string,
  match: (key: string) => boolean,
  change: (out: T, nth: number) => unknown,
): Fixture {
  const copy = structuredClone(f);
  const keys = Object.keys(copy.calls[node] ?? {}).filter(match);
  if (!keys.length) throw new Error(`the fixture has no such command on ${node}`);
  for (const k of keys)
    (copy.calls[node]?.[k] ?? []).forEach((a, nth) => {
      if (a.json !== undefined) a.json = change(a.json as T, nth);
      else a.text = change(a.text as T, nth) as string;
    });
  return copy;
}

/** No retry: a check's first outcome is its answer. */
export const ONCE = { timeoutMs: 0, intervalMs: 1 };

/** Every check of the fixture's variant, run once each (no retry), as the CLI orders them. */
export async function runVariant(f: Fixture, t: Topology = topologyOf(f)) {
  const variant = variantFor(f.variant);
  if (!variant) throw new Error(`no variant ${f.variant}`);
  const checks: Check[] = variant.checks(t);
  const { ctx, log } = replay(f, t);
  const report = await runChecks(f.variant, checks, ctx, ONCE);
  const byName = (prefix: string) => {
    const c = report.checks.find((x) => x.name.startsWith(prefix));
    if (!c)
      throw new Error(
        `no check named ${prefix}...; there are: ${report.checks.map((x) => x.name).join(" | ")}`,
      );
    return c;
  };
  return { report, byName, log };
}

/** The commands the checks read tables with. */
export const FDB = "bridge -j fdb show dev vxlan100";
export const NEIGH = "ip -j -6 neigh show dev vxlan100";
export const isCounters = (key: string) => key.includes("nft -j list counters");
export const is = (wanted: string) => (key: string) => key === wanted;

interface Entry {
  mac?: string;
  dst?: string;
  flags?: string[];
  state?: string | string[];
  lladdr?: string;
  [k: string]: unknown;
}

/** The fixture with one VTEP's table (FDB or neighbours) edited entry by entry: `edit` returns the new entry, or undefined to drop it. */
export const editTable = (f: Fixture, vtep: string, table: string, edit: (e: Entry) => Entry | undefined) =>
  mutate<Entry[]>(f, vtep, is(table), (entries) => entries.flatMap((e) => edit(e) ?? []));

/** The fixture with entries added to one VTEP's table. */
export const addToTable = (f: Fixture, vtep: string, table: string, ...more: Entry[]) =>
  mutate<Entry[]>(f, vtep, is(table), (entries) => [...entries, ...more]);

/** The fixture with the nth packet count read on a node replaced (0: the first count the checks make). */
export const setCount = (f: Fixture, node: string, nth: number, packets: Record<string, number>) =>
  mutate<{ nftables: { counter?: { name: string; packets: number } }[] }>(f, node, isCounters, (out, i) =>
    i !== nth
      ? out
      : {
          nftables: out.nftables.map((o) =>
            o.counter && o.counter.name in packets
              ? { counter: { ...o.counter, packets: packets[o.counter.name] } }
              : o,
          ),
        },
  );

/** A registry entry as the checks see it: key and JSON value decoded from etcd's base64. */
export interface RegistryKv {
  key: string;
  value: Record<string, string>;
  lease: number;
}

const ETCD = (key: string) => key.startsWith("etcdctl get --prefix");

/** The fixture with the registry's keys edited one by one (undefined drops one), re-encoded as etcdctl prints them. */
export function editRegistry(f: Fixture, edit: (kv: RegistryKv) => RegistryKv | undefined): Fixture {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const text = (s: string) => Buffer.from(s, "base64").toString("utf8");
  return mutate<{ kvs: { key: string; value: string; lease: number }[] }>(f, "registry", ETCD, (out) => ({
    ...out,
    kvs: out.kvs.flatMap((kv) => {
      const e = edit({
        key: text(kv.key),
        value: JSON.parse(text(kv.value)) as Record<string, string>,
        lease: kv.lease,
      });
      return e ? [{ ...kv, key: b64(e.key), value: b64(JSON.stringify(e.value)), lease: e.lease }] : [];
    }),
  }));
}

/** The fixture with the nth status file an agent reported edited (all of them when nth is undefined). */
export const editStatus = (
  f: Fixture,
  agent: string,
  edit: (s: Record<string, unknown>) => Record<string, unknown>,
  nth?: number,
) =>
  mutate<Record<string, unknown>>(
    f,
    agent,
    (k) => k.startsWith("cat ") && k.endsWith("status.json"),
    (s, i) => (nth === undefined || i === nth ? edit(s) : s),
  );
