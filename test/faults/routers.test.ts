/**
 * Router faults in every variant, on the real engine, one 3-VTEP lab per
 * variant: H1 pings the last host every 100 ms across the fault.
 * - a router silently drops everything from S1 (nft ingress, carrier up):
 *   BFD must notice; OSPF's 3 s dead interval alone would cost ~30 pings;
 * - a router cut off (its links set down inside it) and brought back;
 * - a router stopped (`docker stop`), then started and `up` again.
 * The bound (fewer than 15 pings lost) is generous on purpose: BFD at
 * 100 ms x 3 (the default, these labs' timers) cost 3 pings in
 * bench/failover.ts, at 300 ms x 3 6-8, while OSPF's dead interval alone cost
 * 20-30 in the same runs; the figures are in bench/results.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStack } from "../../src/cli/check";
import {
  endDrop,
  failoverEvidence,
  freshDiscovery,
  lossAcross,
  setLinks,
  startDrop,
  startRouter,
  stopRouter,
  underlayGaps,
} from "../../src/faults/routers";
import { registryEntries } from "../../src/checks/agent";
import type { CheckContext } from "../../src/checks/types";
import { exec } from "../../src/docker/exec";
import { VARIANTS, getNode, resolveTopology, type Topology } from "../../src/model";
import { ok, teardown, up } from "../e2e/lab";

/**
 * Pings lost beyond which failover did not come from BFD: these 3-VTEP labs
 * run the default 100 ms x 3, which cost 3 in bench/failover.ts (300 ms x 3:
 * 6-8); OSPF's dead interval alone cost 20-32 there.
 */
const BOUND = 15;

/** Fits the 31-character stack names: faults-rt-u-static-default. */
const stackOf = (variant: string) => `faults-rt-${variant.replace(/^unicast-/, "u-")}`;

/** Registry key -> its lease (dynamic variants), read in the registry itself. */
async function leases(t: Topology): Promise<Record<string, string>> {
  const ctx: CheckContext = { t, exec: (node, argv) => exec(getNode(t, node).container, argv) };
  const entries = await registryEntries(ctx);
  expect(entries.length, "registry entries").toBeGreaterThan(0);
  return Object.fromEntries(entries.map((e) => [e.key, e.lease]));
}

async function green(stack: string): Promise<string[]> {
  const report = await checkStack(stack);
  return report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

describe.each(VARIANTS)("%s", (variant) => {
  const stack = stackOf(variant);
  let t: Topology;
  let far: string;

  beforeAll(async () => {
    ok(await up(stack, { variant }), `pulumi up ${stack}`);
    t = resolveTopology({ stack, variant });
    far = t.hosts[t.hosts.length - 1]?.name ?? "";
  });
  afterAll(async () => {
    await teardown(stack);
  });

  it("is green before the faults", async () => {
    expect(await green(stack)).toEqual([]);
  });

  it("R1, then R2, silently dropping S1's traffic: each loses under 15 pings (BFD), green once the drop ends", async () => {
    for (const r of ["R1", "R2"]) {
      expect(
        await underlayGaps(t),
        "every OSPF adjacency full (and in evpn every route from both reflectors) before the drop",
      ).toEqual([]);
      const loss = await lossAcross(t, "H1", far, () => startDrop(t, r, "S1"));
      await endDrop(t, r);
      // One of the two routers carries H1's flow: its drop must cost pings only until BFD notices.
      expect(loss.received, `${r}: ${JSON.stringify(loss)}`).toBeGreaterThan(0);
      expect(loss.lost, `${r}: ${JSON.stringify(loss)}`).toBeLessThan(BOUND);
    }
    expect(await underlayGaps(t), "both routers adjacent to every VTEP again").toEqual([]);
    expect(await green(stack)).toEqual([]);
  });

  it("R2 cut off (its links down): under 15 pings lost, neighbour discovery works through R1 alone, green once its links are up", async () => {
    expect(
      await underlayGaps(t),
      "every OSPF adjacency full (and in evpn every route from both reflectors) before the fault",
    ).toEqual([]);
    const loss = await lossAcross(t, "H1", far, () => setLinks(t, "R2", "down"));
    expect(loss.lost, JSON.stringify(loss)).toBeLessThan(BOUND);
    const nd = await freshDiscovery(t, "H1", "H2");
    await setLinks(t, "R2", "up");
    expect(nd.ok, nd.detail).toBe(true);
    expect(await underlayGaps(t), "R2 adjacent to every VTEP again").toEqual([]);
    expect(await green(stack)).toEqual([]);
  });

  // R1 is stopped in every variant: no router is a single point of failure
  // (multicast is source-specific, with no RP; the dynamic variants' registry
  // is dual-homed; evpn's withdrawal check waits for both reflectors).
  const stopped = "R1";
  const other = "R2";

  it(`${stopped} stopped: under 15 pings lost, neighbour discovery works through ${other} alone${
    variant.startsWith("unicast-dynamic") ? ", the registry keeps every lease" : ""
  }`, async () => {
    expect(
      await underlayGaps(t),
      "every OSPF adjacency full (and in evpn every route from both reflectors) before the fault",
    ).toEqual([]);
    const before = t.registry ? await leases(t) : undefined;
    const at = Date.now();
    const loss = await lossAcross(t, "H1", far, () => stopRouter(t, stopped));
    // Too many lost: what H1's VTEP holds right after says whether the underlay or the overlay was slow.
    const why = loss.lost < BOUND ? "" : `; right after: ${await failoverEvidence(t, "H1", far)}`;
    expect(loss.lost, `${JSON.stringify(loss)}${why}`).toBeLessThan(BOUND);
    const nd = await freshDiscovery(t, "H1", "H2");
    expect(nd.ok, nd.detail).toBe(true);
    if (before) {
      // Past the agents' 10 s lease TTL: behind one router the registry lost
      // every key; dual-homed, each key keeps the lease it had (a new grant
      // would show as a new ID).
      await new Promise((r) => setTimeout(r, Math.max(0, at + 15_000 - Date.now())));
      expect(await leases(t)).toEqual(before);
    }
  });

  // Needs `up` to rewire a restarted node (its namespace is new, its links gone).
  // The checks alone would pass with R2 carrying everything: R1's adjacencies prove the repair.
  it(`${stopped} started again and \`up\` again: ${stopped} adjacent to every VTEP, green`, async () => {
    await startRouter(t, stopped);
    ok(await up(stack, {}, ["--refresh"]), `pulumi up --refresh ${stack} after ${stopped} restarted`);
    expect(await underlayGaps(t), `${stopped} rewired: adjacent to every VTEP`).toEqual([]);
    expect(await green(stack)).toEqual([]);
  });
});
