/**
 * `scripts/lab up` SIGKILLed (its whole process group: the CLI and Pulumi;
 * Pulumi's plugins run in groups of their own and are orphaned) at points
 * spread over a full run, each from a clean start: the next `up` stops the
 * orphans and goes green; `destroy` then leaves no container, veth, helper,
 * lock or state. The kill points are fractions of a full run measured first,
 * with a seeded jitter (printed, and settable with FAULTS_SEED to replay).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive } from "../../src/cli/locks";
import { findOrphanedPlugins } from "../../src/cli/orphans";
import { REPO_ROOT } from "../../src/util/paths";
import { destroy, failingChecks, hostInterfaces, lab, leftovers, ok, up } from "./lab";

const variant = "unicast-static-default";
const stack = "faults-kill-usd";
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);
/** A round is a partial run, a full run, checks and a destroy: minutes on a loaded machine. */
const ROUND_MS = 600_000;

/** mulberry32: a small seeded generator, so that a failing round can be replayed. */
function random(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const veths = async () => (await hostInterfaces()).filter((i) => i.kind === "veth").map((i) => i.ifname);
let hostVethsBefore: Set<string>;
let fullMs = 0;
const rounds: string[] = [];

beforeAll(async () => {
  console.log(`killed runs: seed ${seed} (FAULTS_SEED=${seed} replays these kill points)`);
  hostVethsBefore = new Set(await veths());
  // A full run from nothing, for the scale of the kill points.
  const full = await up(variant, stack);
  ok(full, "the measured full run");
  ok(await destroy(variant, stack), "destroy after the measured run");
  fullMs = full.ms;
}, ROUND_MS);

afterAll(async () => {
  console.log(
    `killed runs, full run ${(fullMs / 1000).toFixed(1)} s, seed ${seed}:\n  ${rounds.join("\n  ")}`,
  );
  await destroy(variant, stack);
});

describe("killed runs", () => {
  const rnd = random(seed);
  // Five slots over the run (0-20 %, ..., 80-100 %): one point in each.
  const fractions = [0, 1, 2, 3, 4].map((i) => (i + rnd()) / 5);

  for (const [i, f] of fractions.entries()) {
    it(
      `killed in fifth ${i + 1} of a run (at ${(f * 100).toFixed(0)} %): the next up stops the plugins the kill orphaned and goes green, destroy leaves nothing`,
      async () => {
        let at = Math.round(f * fullMs);
        let killed = await lab(["up", variant, "--stack", stack], { killAfterMs: at });
        if (killed.signal !== "SIGKILL") {
          // The machine got faster than when the run was measured: this run went all the way, so
          // it is the new measure; from a clean start again, the same fraction of it.
          rounds.push(
            `${at} ms: the run ended first (in ${(killed.ms / 1000).toFixed(1)} s), so again at ${(f * 100).toFixed(0)} % of that`,
          );
          fullMs = killed.ms;
          ok(await destroy(variant, stack), "destroy after a run that ended before its kill");
          at = Math.round(f * fullMs);
          killed = await lab(["up", variant, "--stack", stack], { killAfterMs: at });
        }
        // Pulumi's plugins run in process groups of their own: the kill leaves them waiting for a dead engine.
        const orphans = findOrphanedPlugins(REPO_ROOT);
        const again = await up(variant, stack);
        const survivors = orphans.filter(alive);
        const failing = again.code === 0 ? await failingChecks(stack) : ["up failed"];
        rounds.push(
          `${at} ms: ${killed.signal === "SIGKILL" ? "killed" : `ended first (exit ${killed.code})`}; ${orphans.length} plugin(s) orphaned; next up ${again.code === 0 ? "ok" : "FAILED"} in ${(again.ms / 1000).toFixed(1)} s, ${failing.length} failing check(s)`,
        );
        ok(again, `up after a kill at ${at} ms (seed ${seed})`);
        expect(failing).toEqual([]);
        expect(
          survivors,
          `plugins orphaned by the kill (${orphans.join(", ")}) still running after the next up`,
        ).toEqual([]);
        // Back to nothing, for the next kill too.
        ok(await destroy(variant, stack), `destroy after the kill at ${at} ms`);
        expect(await leftovers(stack)).toEqual([]);
      },
      ROUND_MS,
    );
  }

  it("killed the run most times (a kill after the run ended proves little), and left no veth in the engine host's namespace", async () => {
    expect(rounds.filter((r) => r.includes(": killed")).length).toBeGreaterThanOrEqual(4);
    expect((await veths()).filter((v) => !hostVethsBefore.has(v))).toEqual([]);
  });
});
