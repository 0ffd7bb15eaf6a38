/**
 * A VTEP restarted behind the lab's back (`docker restart S1`: a new network
 * namespace without its links; FRR starts again from its files, the overlay
 * commands are gone): `scripts/lab up` finds it by refreshing, rewires and
 * reconfigures it, and touches nothing else. A host's veth deleted by hand:
 * `up` finds it (one read of every namespace), refreshes, makes it again and reruns
 * the scripts at its two ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labStatus } from "../../src/cli/status";
import { docker } from "../../src/docker/client";
import { getNode } from "../../src/model";
import { containersOf, createdAt, destroy, failingChecks, inNode, leftovers, ok, topology, up } from "./lab";

const variant = "unicast-static-default";
const stack = "faults-rp-usd";
const t = topology(variant, stack);
const vteps = t.nodes.filter((n) => n.kind === "vtep").map((n) => n.name);

interface Snapshot {
  containers: string[];
  veths: Record<string, number>;
  fdb: Record<string, string[]>;
}

/** Containers (name:id), veth count per node, and S1..Sn's vxlan100 FDB as sorted "mac dst" lines. */
async function snapshot(): Promise<Snapshot> {
  const containers = (await containersOf(stack)).map((c) => `${c.name}:${c.id}`).sort();
  const veths: Record<string, number> = {};
  for (const n of t.nodes.filter((x) => !x.netns)) {
    const r = await inNode(t, n.name, ["ip", "-j", "link", "show", "type", "veth"]);
    veths[n.name] = (JSON.parse(r.stdout || "[]") as unknown[]).length;
  }
  const fdb: Record<string, string[]> = {};
  for (const v of vteps) {
    const r = await inNode(t, v, ["bridge", "-j", "fdb", "show", "dev", t.vxlan.device]);
    const entries = JSON.parse(r.stdout || "[]") as { mac: string; dst?: string }[];
    fdb[v] = entries
      .filter((e) => e.dst)
      .map((e) => `${e.mac} ${e.dst}`)
      .sort();
  }
  return { containers, veths, fdb };
}

const duplicates = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i);

let before: Snapshot;
let createdBefore: Map<string, number>;

beforeAll(async () => {
  ok(await up(variant, stack), `scripts/lab up ${variant} --stack ${stack}`);
  before = await snapshot();
  createdBefore = createdAt(stack);
});

afterAll(async () => {
  await destroy(variant, stack);
});

describe("repair", () => {
  it("a VTEP restarted (docker restart S1): shown broken by status, then `scripts/lab up` repairs it to green with nothing duplicated and only S1's pieces remade", async () => {
    const s1 = t.nodes.find((n) => n.name === "S1");
    if (!s1) throw new Error("no S1");
    await docker().getContainer(s1.container).restart({ t: 1 });

    const broken = (await labStatus()).find((s) => s.stack === stack)?.nodes.find((n) => n.node === "S1");
    expect(broken?.problems).toEqual(expect.arrayContaining(["restarted since up", "links missing"]));
    expect(broken?.vxlan).toBe(false);
    expect((await failingChecks(stack, { once: true })).length).toBeGreaterThan(0);

    const repair = await up(variant, stack);
    ok(repair, "scripts/lab up after the restart");
    console.log(`repair: scripts/lab up took ${(repair.ms / 1000).toFixed(1)} s (noisy: shared machine)`);
    expect(await failingChecks(stack)).toEqual([]);

    const after = await snapshot();
    // Same containers (no replacement, no second copy), same veth count on every node.
    expect(after.containers).toEqual(before.containers);
    expect(after.veths).toEqual(before.veths);
    for (const v of vteps) {
      expect(duplicates(after.fdb[v] ?? [])).toEqual([]);
      // Static entries of the variant are back as they were (learned MACs may come and go).
      expect((after.fdb[v] ?? []).filter((e) => e.startsWith("00:00:00:00:00:00"))).toEqual(
        (before.fdb[v] ?? []).filter((e) => e.startsWith("00:00:00:00:00:00")),
      );
    }

    // What was made again: S1's links, the scripts of S1 and of nodes wired to it, the convergence wait.
    const peers = new Set(["S1", ...s1.interfaces.map((i) => i.peer.node)]);
    const remade = [...createdAt(stack)]
      .filter(([name, at]) => createdBefore.get(name) !== at)
      .map(([n]) => n);
    const s1Links = t.links.filter((l) => l.a.node === "S1" || l.b.node === "S1").map((l) => l.name);
    const allowed = new Set([
      ...s1Links,
      "underlay-converged",
      ...[...createdBefore.keys()].filter((n) => [...peers].some((p) => n.startsWith(`${p}-`))),
    ]);
    console.log(`remade by the repair: ${remade.sort().join(", ")}`);
    expect(remade).toEqual(expect.arrayContaining([...s1Links, `S1-${variant}`]));
    expect(remade.filter((n) => !allowed.has(n))).toEqual([]);
    // No container was made again, S1 included (it was restarted, not replaced).
    expect(remade.filter((n) => t.nodes.some((x) => x.name === n))).toEqual([]);

    const healed = (await labStatus()).find((s) => s.stack === stack)?.nodes ?? [];
    expect(
      healed.filter((n) => n.problems?.length).map((n) => `${n.node}: ${n.problems?.join(", ")}`),
    ).toEqual([]);
  });

  it("a host's veth deleted by hand: status names both ends, `up` names the link, makes it again and reruns only the scripts at its ends, green", async () => {
    const host = t.hosts[t.hosts.length - 1];
    if (!host) throw new Error("no host");
    const link = t.links.find((l) => l.a.node === host.vtep && l.b.node === host.name);
    if (!link) throw new Error(`no link ${host.vtep}-${host.name}`);
    const createdBefore = createdAt(stack);
    expect((await inNode(t, host.vtep, ["ip", "link", "del", host.vtepPort])).code).toBe(0);

    const nodes = (await labStatus()).find((s) => s.stack === stack)?.nodes ?? [];
    const problems = (node: string) => nodes.find((n) => n.node === node)?.problems ?? [];
    expect(problems(host.vtep)).toContain(`${link.a.iface} missing or unpaired`);
    expect(problems(host.name)).toContain(`${link.b.iface} missing or unpaired`);

    const repair = await up(variant, stack);
    ok(repair, `scripts/lab up after ${host.vtep}'s ${host.vtepPort} was deleted`);
    expect(repair.out).toContain(
      `not as the last up left them: ${getNode(t, host.vtep).container}:${link.a.iface}--`,
    );
    expect(await failingChecks(stack)).toEqual([]);
    const remade = [...createdAt(stack)]
      .filter(([name, at]) => createdBefore.get(name) !== at)
      .map(([n]) => n);
    // The fresh port joins the bridge only if the VTEP's script runs again.
    expect(remade).toEqual(expect.arrayContaining([link.name, `${host.vtep}-${variant}`]));
    expect(
      remade.filter((n) => ![link.name, `${host.vtep}-${variant}`, `${host.name}-${variant}`].includes(n)),
    ).toEqual([]);
  });

  it("`scripts/lab destroy --stack` then leaves nothing of the stack", async () => {
    ok(await destroy(variant, stack), "scripts/lab destroy");
    expect(await leftovers(stack)).toEqual([]);
  });
});
