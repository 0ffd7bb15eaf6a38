import { describe, expect, it } from "vitest";
import { fdbKey, hostPairs, isStatic, mapLimit, sendToUnknownMac, setDiff } from "../../src/checks/common";
import { runCheck, runChecks } from "../../src/checks/run";
import type { Check, CheckContext } from "../../src/checks/types";
import { resolveTopology } from "../../src/model";

const t = resolveTopology({ stack: "t", variant: "unicast-static-default" });
const ctx: CheckContext = { t, exec: async () => ({ code: 0, stdout: "", stderr: "" }) };
const fast = { timeoutMs: 200, intervalMs: 10 };

describe("check runner", () => {
  it("retries until the check passes", async () => {
    let n = 0;
    const c: Check = { name: "x", run: async () => ({ ok: ++n >= 3, detail: `try ${n}` }) };
    expect(await runCheck(c, ctx, fast)).toEqual({ ok: true, detail: "try 3" });
  });
  it("reports the last failure once the bound runs out", async () => {
    let n = 0;
    const c: Check = { name: "x", run: async () => ({ ok: false, detail: `try ${++n}` }) };
    const o = await runCheck(c, ctx, fast);
    expect(o.ok).toBe(false);
    expect(o.detail).toMatch(new RegExp(`^try ${n} \\(after ${n} attempts\\)$`));
    expect(n).toBeGreaterThan(2);
  });
  it("turns a thrown error into a failed outcome", async () => {
    const c: Check = { name: "x", run: async () => Promise.reject(new Error("S1: nft exited 1")) };
    expect((await runCheck(c, ctx, { timeoutMs: 0, intervalMs: 10 })).detail).toBe("S1: nft exited 1");
  });
  it("builds the --json report: ok only if all pass, first amplification figure", async () => {
    const report = await runChecks(
      "unicast-static-default",
      [
        { name: "a", run: async () => ({ ok: true, detail: "fine", perBumFrame: 2 }) },
        { name: "b", run: async () => ({ ok: false, detail: "bad" }) },
      ],
      ctx,
      { timeoutMs: 0, intervalMs: 1 },
    );
    expect(report).toEqual({
      variant: "unicast-static-default",
      ok: false,
      checks: [
        { name: "a", ok: true, detail: "fine" },
        { name: "b", ok: false, detail: "bad" },
      ],
      amplification: { perBumFrame: 2 },
    });
  });
});

describe("check helpers", () => {
  it("removes the pinned neighbour entry even when the probe's exec fails", async () => {
    const ran: string[] = [];
    const failing: CheckContext = {
      t,
      exec: async (node, argv) => {
        ran.push(`${node}: ${argv.slice(0, 3).join(" ")}`);
        if (argv[0] === "ping") throw new Error("exec: container is not running");
        return { code: 0, stdout: "", stderr: "" };
      },
    };
    const h1 = t.hosts[0]!;
    await expect(sendToUnknownMac(failing, h1, 1)).rejects.toThrow("container is not running");
    expect(ran).toEqual([`${h1.name}: ip -6 neigh`, `${h1.name}: ping -6 -c1`, `${h1.name}: ip -6 neigh`]);
  });
  it("compares sets and names what is missing and extra", () => {
    expect(setDiff(["a", "b"], ["b", "a"])).toBeUndefined();
    expect(setDiff(["a", "c"], ["a", "b"])).toBe("missing b; unexpected c");
  });
  it("tells static FDB entries from learned ones", () => {
    expect(isStatic({ mac: "x", flags: [], state: "permanent" })).toBe(true);
    expect(isStatic({ mac: "x", flags: [], state: "static" })).toBe(true);
    expect(isStatic({ mac: "x", flags: [], state: "" })).toBe(false);
    expect(fdbKey({ mac: "50:54:33:00:00:08", dst: "2001:db8:1::1" })).toBe(
      "50:54:33:00:00:08>2001:db8:1::1",
    );
  });
  it("lists every ordered host pair, both directions", () => {
    const pairs = hostPairs(t).map(([a, b]) => `${a.name}${b.name}`);
    expect(pairs).toHaveLength(12);
    expect(pairs).toContain("H1H4");
    expect(pairs).toContain("H4H1");
  });
  it("bounds how many execs run at once, keeping results in order", async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (x) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, x));
      inFlight--;
      return x * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});
