/**
 * The dynamic control plane under faults, on the real engine (unicast-dynamic-nd):
 * a registry outage, a killed agent, a burst of misses for unknown MACs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentStatus } from "../../src/checks/agent";
import { NeighSchema } from "../../src/checks/schemas";
import type { CheckContext } from "../../src/checks/types";
import { getNode, resolveTopology } from "../../src/model";
import { parseJson } from "../../src/util/json";
import { exec, ok, teardown, up } from "./lab";

const stack = "e2e-dynamic-faults";
const variant = "unicast-dynamic-nd";
const t = resolveTopology({ stack, variant });
const ctx: CheckContext = { t, exec: (node, argv) => exec(getNode(t, node).container, argv) };
const H4 = "2001:db8:ff::13";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One ping from H1, after forgetting every neighbour: each try goes through ND again. */
async function h1Pings(to: string): Promise<boolean> {
  await ctx.exec("H1", ["ip", "-6", "neigh", "flush", "dev", "eth0"]);
  return (await ctx.exec("H1", ["ping", "-6", "-c1", "-W2", to])).code === 0;
}

/** Polls until f holds; the last value is returned either way. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(500);
    v = await f();
  }
  return v;
}

const statuses = () => Promise.all(["S1", "S2", "S3"].map((v) => agentStatus(ctx, v).catch(() => undefined)));

beforeAll(async () => {
  ok(await up(stack, { variant }), `pulumi up ${stack}`);
  expect(
    await until(
      () => h1Pings(H4),
      (x) => x,
    ),
  ).toBe(true);
});

afterAll(async () => {
  await teardown(stack);
});

describe("registry outage", () => {
  it("keeps resolved hosts talking, and resolves a new address once the registry is back", async () => {
    ok(await ctx.exec("registry", ["pkill", "-x", "etcd"]), "stop etcd");
    const down = await until(statuses, (s) => s.every((x) => x?.registry === "down"));
    expect(down.map((s) => s?.registry)).toEqual(["down", "down", "down"]);

    // H4 was resolved before the outage: ND answered by S1's proxy from the installed entry.
    expect(await h1Pings(H4)).toBe(true);

    // A new address on H4, announced while the registry is away: nobody may guess it.
    const fresh = "2001:db8:ff::99";
    ok(
      await ctx.exec("H4", ["ip", "-6", "addr", "add", `${fresh}/64`, "dev", "eth0", "nodad"]),
      "add address",
    );
    await ctx.exec("H4", ["ping", "-6", "-c1", "-W1", "-I", fresh, "ff02::1%eth0"]);
    expect(await h1Pings(fresh)).toBe(false);

    ok(await ctx.exec("registry", ["registry-start"]), "start etcd");
    const back = await until(
      () => h1Pings(fresh),
      (x) => x,
      45_000,
    );
    expect(back).toBe(true);
    // Every agent reconnects too, each when its backoff (up to 5 s) next tries:
    // one may still be asleep when the others already serve the new address.
    const after = await until(statuses, (st) => st.every((x) => x?.registry === "up"), 15_000);
    expect(after.map((s) => s?.registry)).toEqual(["up", "up", "up"]);
  });
});

describe("agent restart", () => {
  it("adopts the entries it had installed, and serves new misses", async () => {
    const before = await agentStatus(ctx, "S1");
    ok(
      await ctx.exec("S1-agent", ["pkill", "-KILL", "-f", "^node /opt/vxlan-agent/agent.js"]),
      "kill the agent",
    );
    // The kernel keeps the entries: traffic does not notice the agent is gone.
    expect(await h1Pings(H4)).toBe(true);

    const restarted = await until(
      () => agentStatus(ctx, "S1").catch(() => undefined),
      (s) => s !== undefined && s.pid !== before.pid && s.registry === "up",
    );
    expect(restarted?.pid).not.toBe(before.pid);
    expect(restarted?.installed.neigh).toBeGreaterThanOrEqual(1);

    // Take H4's entry away behind the agent's back: the next solicitation misses, the agent answers.
    await ctx.exec("S1", ["ip", "-6", "neigh", "del", H4, "dev", t.vxlan.device]);
    expect(
      await until(
        () => h1Pings(H4),
        (x) => x,
      ),
    ).toBe(true);
    const neigh = parseJson(
      NeighSchema,
      (await ctx.exec("S1", ["ip", "-j", "-6", "neigh", "show", H4, "dev", t.vxlan.device])).stdout,
      "S1: ip -j -6 neigh show",
    );
    expect(neigh.map((n) => [n.dst, "extern_learn" in n])).toEqual([[H4, true]]);
  });
});

describe("burst of unknown MACs", () => {
  it("leaves the agent up, counting, with bounded memory", async () => {
    const n = 2000;
    const before = await agentStatus(ctx, "S1");
    // n static neighbours on H1, each to a MAC nobody registered, then one ping to each.
    const script = [
      `i=0; while [ $i -lt ${n} ]; do`,
      `  printf 'neigh replace 2001:db8:ff::b:%x lladdr 02:bb:00:00:%02x:%02x dev eth0 nud permanent\\n' $i $((i/256)) $((i%256));`,
      `  i=$((i+1)); done | ip -6 -batch -`,
      `i=0; while [ $i -lt ${n} ]; do ping -6 -c1 -W0.01 2001:db8:ff::b:$(printf %x $i) >/dev/null 2>&1; i=$((i+1)); done`,
      "ip -6 neigh flush dev eth0 nud permanent",
    ].join("\n");
    ok(await ctx.exec("H1", ["sh", "-c", script]), "burst");
    const after = await until(
      () => agentStatus(ctx, "S1"),
      (s) => s.unknown.l2 - before.unknown.l2 >= n,
      10_000,
    );
    expect(after.pid).toBe(before.pid);
    expect(after.unknown.l2 - before.unknown.l2).toBeGreaterThanOrEqual(n);
    // Counters, not per-MAC state: a few MB of slack for the runtime, not n entries' worth each.
    expect(after.rssBytes).toBeLessThan(before.rssBytes + 20e6);
    expect(await h1Pings(H4)).toBe(true);
  });
});
