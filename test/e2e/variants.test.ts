/**
 * Each variant end to end on the real engine: up, every check of the
 * variant passes (the same report `scripts/lab check --json` prints), destroy
 * leaves nothing. Test stacks are named e2e-<variant> so a developer's own
 * lab stacks are never touched.
 */
import { afterAll, describe, expect, it } from "vitest";
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
    const expected = [...t.nodes.map((n) => n.name), "wiring"].sort();
    const unhealthy = async (): Promise<string[]> => {
      const r = await run(`${REPO_ROOT}/scripts/lab`, ["status", stack, "--json"]);
      if (r.code !== 0) return [`status exited ${r.code}: ${r.stderr}`];
      const mine = (JSON.parse(r.stdout) as StackStatus[]).find((s) => s.stack === stack);
      const nodes = mine?.nodes ?? [];
      const names = nodes.map((n) => n.node).sort();
      if (names.join() !== expected.join())
        return [`nodes ${names.join(",")}, expected ${expected.join(",")}`];
      // evpn: every VTEP peers with both reflectors, every reflector with the 3 VTEPs.
      const bgp = (kind: string) =>
        variant !== "evpn" ? undefined : kind === "vtep" ? 2 : kind === "router" ? 3 : undefined;
      return nodes.flatMap((n) => {
        const want: Record<string, unknown> = { running: true };
        if (n.kind === "router" || n.kind === "vtep") want.frr = true;
        if (n.kind === "registry") want.etcd = true;
        if (n.kind === "agent") want.registry = "up";
        if (n.kind === "vtep") Object.assign(want, { ospfFull: 2, vxlan: true });
        if (n.kind === "router") want.ospfFull = 3;
        const b = bgp(n.kind);
        if (b !== undefined) Object.assign(want, { bgpEstablished: b, bgpPeers: b });
        const got: Record<string, unknown> = { ...n, registry: n.agent?.registry };
        return Object.entries(want)
          .filter(([k, v]) => got[k] !== v)
          .map(([k, v]) => `${n.node}: ${k} ${JSON.stringify(got[k])}, expected ${JSON.stringify(v)}`);
      });
    };
    let last = await unhealthy();
    for (const end = Date.now() + 15_000; last.length > 0 && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 1000));
      last = await unhealthy();
    }
    expect(last).toEqual([]);
  });

  it("destroy leaves no container", async () => {
    ok(await teardown(stack), `destroy ${stack}`);
    expect(await containersOf(stack)).toEqual([]);
  });
});
