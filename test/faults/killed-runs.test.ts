/**
 * `scripts/lab up` SIGKILLed (its whole process group: the CLI, Pulumi and its
 * plugins) at points spread over a full run, each from a clean start: the
 * next `up` goes green; `destroy` then leaves no container, veth, helper,
 * lock or state. The kill points are fractions of a full run measured first,
 * with a seeded jitter (printed, and settable with FAULTS_SEED to replay).
 */
import { afterAll, describe, expect, it } from "vitest";
import { destroy, failingChecks, hostInterfaces, lab, leftovers, ok, up } from "./lab";

const variant = "unicast-static-default";
const stack = "faults-kill-usd";
const seed = Number(process.env.FAULTS_SEED ?? Date.now() % 100_000);

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

afterAll(async () => {
  await destroy(variant, stack);
});

describe("killed runs", () => {
  it("at 5 points over a whole `up`: each time the next `up` goes green, and destroy leaves nothing", async () => {
    console.log(`killed runs: seed ${seed} (FAULTS_SEED=${seed} replays these kill points)`);
    const veths = async () => (await hostInterfaces()).filter((i) => i.kind === "veth").map((i) => i.ifname);
    const hostVethsBefore = new Set(await veths());

    // A full run from nothing, for the scale of the kill points.
    const full = await up(variant, stack);
    ok(full, "the measured full run");
    ok(await destroy(variant, stack), "destroy after the measured run");
    const rnd = random(seed);
    // Five slots over the run (0-20 %, ..., 80-100 %): one point in each.
    const points = [0, 1, 2, 3, 4].map((i) => Math.round(((i + rnd()) / 5) * full.ms));
    console.log(`full run ${(full.ms / 1000).toFixed(1)} s; kill points (ms): ${points.join(", ")}`);

    const rounds: string[] = [];
    for (const at of points) {
      const killed = await lab(["up", variant, "--stack", stack], { killAfterMs: at });
      const wasKilled = killed.signal === "SIGKILL";
      const again = await up(variant, stack);
      const failing = again.code === 0 ? await failingChecks(stack) : ["up failed"];
      rounds.push(
        `${at} ms: ${wasKilled ? "killed" : `ended first (${killed.code})`}, next up ${again.code === 0 ? "ok" : "FAILED"}, ${failing.length} failing check(s)`,
      );
      ok(again, `up after a kill at ${at} ms (seed ${seed})`);
      expect(failing).toEqual([]);
      // Back to nothing for the next kill, which must start from a clean slate too.
      ok(await destroy(variant, stack), `destroy after round ${at} ms`);
      expect(await leftovers(stack)).toEqual([]);
    }
    console.log(`rounds:\n  ${rounds.join("\n  ")}`);
    // Most points fall inside the run (a kill that lands after the run ended proves nothing).
    expect(rounds.filter((r) => r.includes("killed")).length).toBeGreaterThanOrEqual(4);
    // No veth was left in the engine host's namespace (lab links never live there).
    expect((await veths()).filter((v) => !hostVethsBefore.has(v))).toEqual([]);
  });
});
