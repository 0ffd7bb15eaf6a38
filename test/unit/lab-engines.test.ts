/** The resources a lab over two engines declares, under Pulumi's mocks: no engine, no CLI. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveTopology } from "../../src/model";

interface Registered {
  type: string;
  name: string;
  parent?: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];
let pid = 2000;

const engines = {
  a: { endpoint: "unix:///var/run/docker.sock", address: "fd00:e2::1" },
  b: { endpoint: "unix:///run/vxlan-lab-engine2.sock", address: "fd00:e2::2" },
};
const t = resolveTopology({
  stack: "two",
  variant: "unicast-static-default",
  engines,
  enginePlacement: "spread",
});

beforeAll(async () => {
  pulumi.runtime.setMocks(
    {
      async newResource(args) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
        });
        const containerState = args.type.endsWith(":Container")
          ? { containerId: `${args.name}-cid`, pid: pid++ }
          : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...containerState, raised: false } };
      },
      call: (args) => args.inputs,
    },
    "vxlan-lab",
    "two",
    false,
  );
  const { Lab } = await import("../../src/lab/lab");
  const lab = new Lab("lab", {
    topology: t,
    images: { frr: "vxlan-lab/frr:test", host: "vxlan-lab/host:test", registry: "r", agent: "a" },
  });
  await new Promise<void>((resolve) => lab.converged.urn.apply(() => resolve()));
  await new Promise((r) => setTimeout(r, 50));
});

const named = (name: string) => {
  const r = registered.find((x) => x.name === name);
  if (!r) throw new Error(`no resource ${name}; have ${registered.map((x) => x.name).join(", ")}`);
  return r;
};
const ofType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

describe("a lab over two engines declares", () => {
  it("one Engine component per engine, so a plan shows which node lands where", () => {
    expect(
      ofType(":Engine")
        .map((e) => e.name)
        .sort(),
    ).toEqual(["a", "b"]);
  });

  it("a wiring helper on each engine, labelled with it; every node on its engine", () => {
    expect(named("wiring-a").inputs).toMatchObject({
      name: "vxlab-two-wiring-a",
      engine: { endpoint: engines.a.endpoint },
    });
    expect(named("wiring-b").inputs).toMatchObject({
      name: "vxlab-two-wiring-b",
      engine: { endpoint: engines.b.endpoint },
    });
    expect((named("wiring-b").inputs.labels as Record<string, string>)["vxlan-lab.engine"]).toBe("b");
    for (const n of t.nodes) {
      const engine = n.engine === "a" ? engines.a.endpoint : engines.b.endpoint;
      expect(named(n.name).inputs.engine, n.name).toEqual({ endpoint: engine });
      expect((named(n.name).inputs.labels as Record<string, string>)["vxlan-lab.engine"]).toBe(n.engine);
    }
  });

  it("a copy of each image an engine's nodes use, onto that engine", () => {
    const copies = ofType(":ImageCopy").map(
      (c) => `${(c.inputs.to as { endpoint: string }).endpoint} ${String(c.inputs.image)}`,
    );
    expect(copies.sort()).toEqual(
      [engines.a.endpoint, engines.b.endpoint]
        .flatMap((e) => [`${e} vxlan-lab/frr:test`, `${e} vxlan-lab/host:test`])
        .sort(),
    );
  });

  it("a tunnel for each link between engines, its far end made by the other engine's helper; veths elsewhere", () => {
    for (const l of t.links) {
      const r = named(l.name);
      if (!l.tunnel) {
        expect(r.inputs.tunnel, l.name).toBeUndefined();
        continue;
      }
      const helperB = l.tunnel.bEngine === "a" ? "vxlab-two-wiring-a" : "vxlab-two-wiring-b";
      expect(r.inputs.tunnel, l.name).toMatchObject({
        helper: { container: helperB },
        spec: { vni: l.tunnel.vni, port: 14789, aRemote: l.tunnel.aRemote, bRemote: l.tunnel.bRemote },
      });
      expect(r.inputs.mtu).toBe(1430);
    }
    expect(ofType(":Link").filter((l) => l.inputs.tunnel).length).toBe(
      t.links.filter((l) => l.tunnel).length,
    );
    expect(t.links.filter((l) => l.tunnel).length).toBeGreaterThan(0);
  });
});
