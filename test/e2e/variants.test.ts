/**
 * Each variant end to end on the real engine: up, every check of the
 * variant passes (the same report `scripts/lab check --json` prints), destroy
 * leaves nothing. Test stacks are named e2e-<variant> so a developer's own
 * lab stacks are never touched.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { checkStack } from "../../src/cli/check";
import type { StackStatus } from "../../src/cli/status";
import { resolveTopology } from "../../src/model";
import { REPO_ROOT } from "../../src/util/paths";
import { run } from "../../src/util/process";
import { variantFor } from "../../variants";
import { containersOf, ok, teardown, up } from "./lab";

const cases = [
  { variant: "unicast-static-default", perBumFrame: 2 },
  { variant: "unicast-static-l2", perBumFrame: 2 },
  { variant: "unicast-static-nd", perBumFrame: 0 },
  { variant: "unicast-static-rsc", perBumFrame: 2 },
  { variant: "multicast", perBumFrame: 1 },
  // One neighbour solicitation to the one VTEP its solicited-node entry names.
  { variant: "unicast-dynamic-l2", perBumFrame: 1 },
  { variant: "unicast-dynamic-nd", perBumFrame: 0 },
  // Ingress replication from type-3 routes: one copy per remote VTEP.
  { variant: "evpn", perBumFrame: 2 },
] as const;

describe.each(cases)("$variant", ({ variant, perBumFrame }) => {
  const stack = `e2e-${variant}`;
  afterAll(async () => {
    await teardown(stack);
  });

  it("comes up and passes every check of the variant", async () => {
    ok(await up(stack, { variant }), `pulumi up ${stack}`);
    const report = await checkStack(stack);
    const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.variant).toBe(variant);
    // Every check the variant page declares ran, plus the kernel's neighbour table guard.
    const t = resolveTopology({ stack, variant });
    const impl = variantFor(t.variant);
    expect(report.checks.map((c) => c.name)).toEqual([
      ...(impl?.checks(t).map((c) => c.name) ?? []),
      "kernel: the IPv6 neighbour table never overflowed during the checks",
    ]);
    expect(report.amplification.perBumFrame).toBe(perBumFrame);
    expect(report.amplification.perBumFrame).toBe(impl?.amplification(t));
  });

  // A snapshot, read again within a bound as the checks are: with BFD at
  // 100 ms a busy machine may take an adjacency down for a moment, which
  // OSPF brings back within seconds; one that stays down fails with the diff.
  it("`scripts/lab status <stack> --json` reports every node healthy (read again for up to 15 s)", async () => {
    const t = resolveTopology({ stack, variant });
    await vi.waitFor(
      async () => {
        const r = await run(`${REPO_ROOT}/scripts/lab`, ["status", stack, "--json"]);
        expect(r.code, r.stderr).toBe(0);
        const mine = (JSON.parse(r.stdout) as StackStatus[]).find((s) => s.stack === stack);
        expect(mine?.nodes.map((n) => n.node).sort()).toEqual(
          [...t.nodes.map((n) => n.name), "wiring"].sort(),
        );
        for (const n of mine?.nodes ?? []) {
          expect(n.running, n.node).toBe(true);
          if (n.kind === "router" || n.kind === "vtep") expect([n.node, n.frr]).toEqual([n.node, true]);
          if (n.kind === "registry") expect([n.node, n.etcd]).toEqual([n.node, true]);
          if (n.kind === "agent") expect([n.node, n.agent?.registry]).toEqual([n.node, "up"]);
          if (n.kind === "vtep") expect([n.node, n.ospfFull, n.vxlan]).toEqual([n.node, 2, true]);
          if (n.kind === "router") expect([n.node, n.ospfFull]).toEqual([n.node, 3]);
          // evpn: every VTEP peers with both reflectors, every reflector with the 3 VTEPs.
          const bgp =
            variant !== "evpn" ? undefined : n.kind === "vtep" ? 2 : n.kind === "router" ? 3 : undefined;
          if (bgp !== undefined) expect([n.node, n.bgpEstablished, n.bgpPeers]).toEqual([n.node, bgp, bgp]);
        }
      },
      { timeout: 15_000, interval: 1000 },
    );
  });

  it("destroy leaves no container", async () => {
    ok(await teardown(stack), `destroy ${stack}`);
    expect(await containersOf(stack)).toEqual([]);
  });
});
