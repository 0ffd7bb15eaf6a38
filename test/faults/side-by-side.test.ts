/**
 * Labs side by side on one engine: two stacks of one variant under different
 * names and a stack of another variant, brought up at the same time. Every
 * lab uses the same addresses inside its own namespaces; nothing of a lab
 * lives in the engine host's namespace, so nothing can collide there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VariantName } from "../../src/model";
import {
  containersNamed,
  containersOf,
  destroy,
  failingChecks,
  hostInterfaces,
  inNode,
  ok,
  topology,
  up,
  type CliRun,
} from "./lab";

const labs: { variant: VariantName; stack: string }[] = [
  { variant: "unicast-static-default", stack: "faults-side-a" },
  { variant: "unicast-static-default", stack: "faults-side-b" },
  { variant: "unicast-static-l2", stack: "faults-side-c" },
];

let runs: CliRun[];

beforeAll(async () => {
  runs = await Promise.all(labs.map((l) => up(l.variant, l.stack)));
});

afterAll(async () => {
  await Promise.all(labs.map((l) => destroy(l.variant, l.stack)));
});

describe("labs side by side", () => {
  it("all come up green at the same time, same variant under two names and another variant", async () => {
    runs.forEach((r, i) => ok(r, `up ${labs[i]?.stack}`));
    for (const l of labs)
      expect({ stack: l.stack, failing: await failingChecks(l.stack) }).toEqual({
        stack: l.stack,
        failing: [],
      });
  });

  it("have disjoint containers, each carrying its own stack's label and name", async () => {
    const names = await Promise.all(labs.map((l) => containersOf(l.stack)));
    const all = names.flat().map((c) => c.name);
    expect(new Set(all).size).toBe(all.length);
    for (const [i, l] of labs.entries()) {
      const expected = topology(l.variant, l.stack).nodes.length + 1; // + the wiring helper
      expect(names[i]?.length).toBe(expected);
      expect((await containersNamed(l.stack)).sort()).toEqual((names[i] ?? []).map((c) => c.name).sort());
    }
  });

  it("keep their traffic apart: an address added in one lab answers there and not in the other lab of the variant", async () => {
    const [a, b] = labs.map((l) => topology(l.variant, l.stack));
    if (!a || !b) throw new Error("labs");
    const probe = "2001:db8:ff::77";
    const added = await inNode(b, "H4", ["ip", "-6", "addr", "add", `${probe}/64`, "dev", "eth0", "nodad"]);
    expect(added.code).toBe(0);
    const ping = (t: typeof a) => inNode(t, "H1", ["ping", "-6", "-c2", "-W2", probe]);
    expect((await ping(b)).code).toBe(0);
    expect((await ping(a)).code).not.toBe(0);
  });

  it("put no link and no lab address in the engine host's namespace", async () => {
    const host = await hostInterfaces();
    const labAddresses = host.flatMap((i) => i.addrs).filter((x) => x.startsWith("2001:db8:"));
    expect(labAddresses).toEqual([]);
    // Lab link names (ethN on nodes) never appear there as veths of ours: every end is inside a container.
    const ifaces = new Set(
      labs.flatMap((l) => topology(l.variant, l.stack).nodes.flatMap((n) => n.interfaces.map((i) => i.name))),
    );
    expect(host.filter((i) => i.kind === "veth" && ifaces.has(i.ifname)).map((i) => i.ifname)).toEqual([]);
  });
});
