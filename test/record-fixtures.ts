/**
 * Records what a variant's checks read from a running lab into
 * test/unit/fixtures/variants/<variant>.json, for the unit tests that replay it
 * (test/unit/replay.ts). Usage, with a lab of that variant up:
 *   node --import tsx test/record-fixtures.ts <stack>
 * The checks first run as the CLI runs them (with retries, so the lab has
 * settled), then once more without retry through a recording context; a
 * recording whose checks did not all pass is refused.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import * as prettier from "prettier";
import { runChecks } from "../src/checks/run";
import type { CheckContext } from "../src/checks/types";
import { checkStack, stackTopology } from "../src/cli/check";
import { exec } from "../src/docker/exec";
import { getNode } from "../src/model";
import { variantFor } from "../variants";
import {
  FIXTURE_DIR,
  ONCE,
  commandKey,
  fixturePath,
  type Answer,
  type Fixture,
} from "./unit/variants/replay";

/** Only the fields the checks read, for outputs that carry much more. */
function trim(key: string, json: unknown): unknown {
  if (key.startsWith("mtr ")) {
    const r = json as { report: { hubs: { host: string }[] } };
    return { report: { hubs: r.report.hubs.map((h) => ({ host: h.host })) } };
  }
  if (key.startsWith("etcdctl ")) {
    const r = json as { kvs?: { key: string; value?: string; lease?: number }[] };
    return { kvs: (r.kvs ?? []).map(({ key, value, lease }) => ({ key, value, lease })) };
  }
  if (key.endsWith("status.json")) {
    // The agent's status: the fields the checks read (CheckedStatusSchema in src/checks/agent.ts).
    const s = json as Record<string, unknown>;
    const fields = ["pid", "registry", "misses", "resolved", "unknown", "installed", "rssBytes"];
    return Object.fromEntries(fields.filter((f) => f in s).map((f) => [f, s[f]]));
  }
  if (key.includes("nft -j list counters")) {
    const r = json as { nftables: { counter?: { name: string; packets: number } }[] };
    return {
      nftables: r.nftables
        .filter((o) => o.counter)
        .map((o) => ({ counter: { name: o.counter?.name, packets: o.counter?.packets } })),
    };
  }
  return json;
}

function answer(key: string, r: { code: number; stdout: string; stderr: string }): Answer {
  const a: Answer = {};
  if (r.code !== 0) {
    a.code = r.code;
    if (r.stderr.trim()) a.stderr = r.stderr.trim().slice(0, 300);
  }
  // ping counts by its exit status only: its text is noise here.
  if (r.stdout.trim() && !key.startsWith("ping ")) {
    try {
      a.json = trim(key, JSON.parse(r.stdout));
    } catch {
      a.text = r.stdout;
    }
  }
  return a;
}

async function main() {
  const stack = process.argv[2];
  if (!stack) throw new Error("usage: record-fixtures.ts <stack>");
  const t = await stackTopology(stack);
  const variant = variantFor(t.variant);
  if (!variant) throw new Error(`no checks for ${t.variant}`);
  const warm = await checkStack(stack);
  if (!warm.ok) throw new Error(`the lab is not green:\n${JSON.stringify(warm.checks, null, 1)}`);
  for (let round = 1; round <= 3; round++) {
    const calls: Fixture["calls"] = {};
    const ctx: CheckContext = {
      t,
      async exec(node, argv) {
        const r = await exec(getNode(t, node).container, argv);
        const key = commandKey(argv);
        ((calls[node] ??= {})[key] ??= []).push(answer(key, r));
        return r;
      },
    };
    const report = await runChecks(t.variant, variant.checks(t), ctx, ONCE);
    const failed = report.checks.filter((c) => !c.ok);
    if (failed.length) {
      process.stderr.write(`round ${round}: ${failed.map((c) => `${c.name}: ${c.detail}`).join("\n")}\n`);
      continue;
    }
    // A command that always exited 0 and printed nothing is what the replay answers anyway.
    const kept = Object.fromEntries(
      Object.entries(calls).map(([node, byKey]) => [
        node,
        Object.fromEntries(
          Object.entries(byKey).filter(([, answers]) => answers.some((a) => Object.keys(a).length > 0)),
        ),
      ]),
    );
    const fixture: Fixture = {
      recorded: `${new Date().toISOString().slice(0, 10)} from stack ${stack} by test/record-fixtures.ts`,
      variant: t.variant,
      stack,
      calls: kept,
    };
    mkdirSync(FIXTURE_DIR, { recursive: true });
    const path = fixturePath(t.variant);
    const options = (await prettier.resolveConfig(path)) ?? {};
    writeFileSync(path, await prettier.format(JSON.stringify(fixture), { ...options, filepath: path }));
    process.stdout.write(`${path}: ${report.checks.length} checks passed\n`);
    return;
  }
  throw new Error("no round passed every check");
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
