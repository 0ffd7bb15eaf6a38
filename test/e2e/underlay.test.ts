/**
 * The lab core on the real engine: up -> loopback mesh and a path through a
 * router -> no changes on a second up -> a removed container comes back with
 * `up --refresh` -> destroy leaves nothing with the stack's label.
 */
import { afterAll, describe, expect, it } from "vitest";
import { pulumi } from "../../src/cli/pulumi";
import { getNode, resolveTopology } from "../../src/model";
import { removeContainer } from "../../src/docker/containers";
import { hostPairs, paths, reachability } from "../../src/checks/common";
import { containersOf, exec, ok, stackOutputs, teardown, up } from "./lab";

const stack = "e2e-underlay";
const variant = "unicast-static-default";
const t = resolveTopology({ stack, variant });
const vteps = t.nodes.filter((n) => n.kind === "vtep");

afterAll(async () => {
  await teardown(stack);
});

async function pingMesh(): Promise<string[]> {
  const failures: string[] = [];
  for (const a of vteps) {
    for (const b of vteps) {
      if (a === b) continue;
      const r = await exec(a.container, ["ping", "-6", "-c1", "-W2", "-I", a.loopback!, b.loopback!]);
      if (r.code !== 0) failures.push(`${a.name}->${b.name}`);
    }
  }
  return failures;
}

describe("underlay", () => {
  it("comes up converged: every VTEP loopback reaches every other", async () => {
    ok(await up(stack, { variant }), "pulumi up");
    const out = await stackOutputs(stack);
    expect(out.underlayConvergedSeconds).toBeTypeOf("number");
    expect(await pingMesh()).toEqual([]);
    // Every node, plus the one wiring helper that made all the links.
    expect((await containersOf(stack)).map((c) => c.name).sort()).toEqual(
      [...t.nodes.map((n) => n.container), t.wiring.container].sort(),
    );
  });

  it("routes VTEP to VTEP through a router, never through the Docker host", async () => {
    // The same check every variant runs: mtr --json, first hop a router, then the far loopback.
    const ctx = { t, exec: (node: string, argv: string[]) => exec(getNode(t, node).container, argv) };
    const path = await paths(t).run(ctx);
    expect(path.ok, path.detail).toBe(true);
    // IPv6 only, and no default route a packet could leak through.
    for (const n of t.nodes) {
      const v4 = JSON.parse((await exec(n.container, ["ip", "-j", "-4", "addr", "show"])).stdout) as {
        ifname: string;
      }[];
      expect(
        v4.map((i) => i.ifname),
        n.name,
      ).toEqual(["lo"]);
      const dflt = JSON.parse(
        (await exec(n.container, ["ip", "-j", "-6", "route", "show", "default"])).stdout,
      );
      expect(dflt, n.name).toEqual([]);
    }
  });

  it("reads OSPFv3 adjacencies as JSON: every VTEP is Full with every router", async () => {
    for (const v of vteps) {
      const r = await exec(v.container, ["vtysh", "-c", "show ipv6 ospf6 neighbor json"]);
      const neighbors = (JSON.parse(r.stdout) as { neighbors: { state: string; interfaceName: string }[] })
        .neighbors;
      expect(
        neighbors
          .filter((n) => n.state === "Full")
          .map((n) => n.interfaceName)
          .sort(),
        v.name,
      ).toEqual(["r1", "r2"]);
    }
  });

  it("reports no changes on a second up", async () => {
    const r = await pulumi(["preview", "--stack", stack, "--expect-no-changes"]);
    ok(r, "pulumi preview --expect-no-changes");
  });

  it("recreates a container removed behind Pulumi's back with `up --refresh`, rewiring its links", async () => {
    await removeContainer(getNode(t, "S2").container);
    ok(await up(stack, {}, ["--refresh"]), "pulumi up --refresh");
    expect((await containersOf(stack)).length).toBe(t.nodes.length + 1);
    expect(await pingMesh()).toEqual([]);
    // H2 and H3 got fresh interfaces from the rewired links: configured again, they talk.
    const ctx = { t, exec: (node: string, argv: string[]) => exec(getNode(t, node).container, argv) };
    const hosts = await reachability(hostPairs(t)).run(ctx);
    expect(hosts.ok, hosts.detail).toBe(true);
  });

  it("destroy removes every container and link of the stack", async () => {
    ok(await teardown(stack), "pulumi destroy");
    expect(await containersOf(stack)).toEqual([]);
  });
});

describe("failures leave nothing behind", () => {
  const bad = "e2e-badinput";
  // A stack of its own: the bad keys above stay in e2e-badinput's config file.
  const failed = "e2e-failedup";
  afterAll(async () => {
    await teardown(bad);
    await teardown(failed);
  });

  it("rejects bad input before any container exists, naming what is valid", async () => {
    const r = await up(bad, { variant: "vxlan-ish", vteps: "1", vtepz: "3" });
    expect(r.code).not.toBe(0);
    const text = r.stdout + r.stderr;
    expect(text).toContain('unknown variant "vxlan-ish"; valid variants: multicast,');
    expect(text).toContain("vteps must be an integer from 2 to 64, got 1");
    expect(text).toContain('unknown config key "vtepz"; valid keys: variant, vteps');
    expect(await containersOf(bad)).toEqual([]);
  });

  it("a failed up followed by destroy leaves no container or state", async () => {
    // Convergence cannot happen in 0 s: up fails after the containers exist.
    const r = await up(failed, {
      variant,
      convergeTimeout: "0",
      vteps: "2",
      routers: "1",
      hostsPerVtep: "1",
    });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(
      /did not converge within 0s: S1: (no route to 2001:db8:2::1|no route table read yet)/,
    );
    expect((await containersOf(failed)).length).toBeGreaterThan(0);
    ok(await teardown(failed), "destroy after a failed up");
    expect(await containersOf(failed)).toEqual([]);
    const ls = await pulumi(["stack", "ls", "--json"]);
    expect((JSON.parse(ls.stdout) as { name: string }[]).map((s) => s.name)).not.toContain(failed);
  });
});
