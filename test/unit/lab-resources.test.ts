/** The resources the lab declares, under Pulumi's mocks: no engine, no CLI. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveTopology } from "../../src/model";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const registered: Registered[] = [];

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        return {
          id: `${args.name}-id`,
          state: { ...args.inputs, containerId: `${args.name}-cid`, pid: 4242 },
        };
      },
      call: (args) => args.inputs,
    },
    "vxlan-lab",
    "unicast-static-default",
    false,
  );
});

async function declare() {
  const { Lab } = await import("../../src/lab/lab");
  const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });
  const lab = new Lab("lab", {
    topology: t,
    images: {
      frr: "vxlan-lab/frr:test",
      host: "vxlan-lab/host:test",
      registry: "vxlan-lab/registry:test",
      agent: "vxlan-lab/agent:test",
    },
  });
  // Let the mock engine see every registration.
  await new Promise<void>((resolve) => lab.converged.urn.apply(() => resolve()));
  await new Promise((r) => setTimeout(r, 50));
  return t;
}

const ofType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));

beforeAll(async () => {
  await declare();
});

describe("lab resources", () => {
  it("declares one container per node, with the node kind's capabilities and no network", () => {
    const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });
    const containers = ofType(":Container");
    expect(containers.map((c) => c.name).sort()).toEqual(t.nodes.map((n) => n.name).sort());
    const s1 = containers.find((c) => c.name === "S1")!;
    expect(s1.inputs.capAdd).toEqual(["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]);
    expect(s1.inputs.image).toBe("vxlan-lab/frr:test");
    expect(s1.inputs.name).toBe("vxlab-unicast-static-default-s1");
    expect((s1.inputs.labels as Record<string, string>)["vxlan-lab.stack"]).toBe("unicast-static-default");
    const h1 = containers.find((c) => c.name === "H1")!;
    expect(h1.inputs.capAdd).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(h1.inputs.image).toBe("vxlan-lab/host:test");
    for (const c of containers) {
      expect(c.inputs.capAdd).not.toContain("ALL");
      expect((c.inputs.sysctls as Record<string, string>)["net.ipv6.conf.all.disable_ipv6"]).toBe("0");
    }
  });

  it("declares one veth per model link, ends and MTU from the model", () => {
    const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });
    const links = ofType(":Link");
    expect(links.map((l) => l.name).sort()).toEqual(t.links.map((l) => l.name).sort());
    const s2h3 = links.find((l) => l.name === "s2-h3")!;
    expect(s2h3.inputs.a).toMatchObject({
      container: "vxlab-unicast-static-default-s2",
      iface: "h3",
      pid: 4242,
    });
    expect(s2h3.inputs.b).toMatchObject({ container: "vxlab-unicast-static-default-h3", iface: "eth0" });
    expect(s2h3.inputs.mtu).toBe(t.overlay.mtu);
    expect(links.find((l) => l.name === "s1-r1")!.inputs.mtu).toBe(9000);
  });

  it("configures FRR on routers and VTEPs and addresses on hosts, then waits for convergence", () => {
    const execs = ofType(":Exec");
    expect(execs.map((e) => e.name).sort()).toEqual(
      [
        "R1-frr",
        "R2-frr",
        "S1-frr",
        "S2-frr",
        "S3-frr",
        "H1-address",
        "H2-address",
        "H3-address",
        "H4-address",
      ].sort(),
    );
    const h2 = execs.find((e) => e.name === "H2-address")!;
    expect((h2.inputs.commands as string[]).join("\n")).toContain("2001:db8:ff::11/64");
    expect((h2.inputs.commands as string[]).join("\n")).toContain("50:54:33:00:00:09");
    const conv = ofType(":Converged");
    expect(conv).toHaveLength(1);
    expect((conv[0]!.inputs.vteps as { loopback: string }[]).map((v) => v.loopback)).toEqual([
      "2001:db8:1::1",
      "2001:db8:2::1",
      "2001:db8:3::1",
    ]);
  });
});
