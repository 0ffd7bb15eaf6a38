/** The resources the lab declares, under Pulumi's mocks: no engine, no CLI. */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { resolveTopology } from "../../src/model";
import { FRR_START } from "../../src/underlay/commands";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** When the mock engine saw it and when it answered (ms since the test began). */
  at: number;
  done: number;
}

const registered: Registered[] = [];
const t0 = Date.now();
/** One container is slow to come up: whatever waits for it shows in the order of registrations. */
const SLOW = "H4";
let pid = 1000;

beforeAll(() => {
  pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const r: Registered = {
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          at: Date.now() - t0,
          done: 0,
        };
        registered.push(r);
        if (args.name === SLOW) await new Promise((res) => setTimeout(res, 300));
        r.done = Date.now() - t0;
        const containerState = args.type.endsWith(":Container")
          ? { containerId: `${args.name}-cid`, pid: pid++ }
          : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...containerState, raised: false } };
      },
      call: (args) => args.inputs,
    },
    "vxlan-lab",
    "unicast-static-default",
    false,
  );
});

const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });

async function declare() {
  const { Lab } = await import("../../src/lab/lab");
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
}

const ofType = (suffix: string) => registered.filter((r) => r.type.endsWith(suffix));
const named = (name: string) => registered.find((r) => r.name === name)!;

beforeAll(async () => {
  await declare();
});

describe("lab resources", () => {
  it("declares one container per node plus one wiring helper, each kind with its own capabilities and no network", () => {
    const containers = ofType(":Container");
    expect(containers.map((c) => c.name).sort()).toEqual([...t.nodes.map((n) => n.name), "wiring"].sort());
    const s1 = named("S1");
    expect(s1.inputs.capAdd).toEqual(["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]);
    expect(s1.inputs.image).toBe("vxlan-lab/frr:test");
    expect(s1.inputs.name).toBe("vxlab-unicast-static-default-s1");
    expect(s1.inputs.pidMode).toBeUndefined();
    expect((s1.inputs.labels as Record<string, string>)["vxlan-lab.stack"]).toBe("unicast-static-default");
    const h1 = named("H1");
    expect(h1.inputs.capAdd).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(h1.inputs.image).toBe("vxlan-lab/host:test");
    for (const c of containers) {
      expect(c.inputs.capAdd).not.toContain("ALL");
      if (c.name === "wiring") continue;
      expect((c.inputs.sysctls as Record<string, string>)["net.ipv6.conf.all.disable_ipv6"]).toBe("0");
    }
    const helper = named("wiring");
    expect(helper.inputs.pidMode).toBe("host");
    expect(helper.inputs.capAdd).toEqual(["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"]);
    expect((helper.inputs.labels as Record<string, string>)["vxlan-lab.stack"]).toBe(
      "unicast-static-default",
    );
  });

  it("starts FRR with its routers and VTEPs, configuration in place; hosts need no command", () => {
    for (const n of t.nodes.filter((x) => x.kind === "router" || x.kind === "vtep")) {
      const c = named(n.name);
      expect(c.inputs.cmd).toEqual(FRR_START);
      const files = c.inputs.files as { path: string; content: string }[];
      expect(files.map((f) => f.path)).toEqual(["/etc/frr/daemons", "/etc/frr/frr.conf"]);
      expect(files[1]!.content).toContain(`hostname ${n.name}`);
    }
    expect(named("H1").inputs.cmd).toBeUndefined();
    // No per-node exec in the lab core: the default variant's only scripts are its overlay's.
    expect(ofType(":Script")).toEqual([]);
  });

  it("declares one veth per model link, each end in its own namespace, hosts addressed on their end", () => {
    const links = ofType(":Link");
    expect(links.map((l) => l.name).sort()).toEqual(t.links.map((l) => l.name).sort());
    const s2h3 = named("s2-h3");
    expect(s2h3.inputs.a).toMatchObject({ container: "vxlab-unicast-static-default-s2", iface: "h3" });
    expect(s2h3.inputs.b).toEqual({
      container: "vxlab-unicast-static-default-h3",
      iface: "eth0",
      pid: expect.any(Number),
      mac: "50:54:33:00:00:0a",
      addresses: ["2001:db8:ff::12/64"],
    });
    const a = s2h3.inputs.a as { pid: number };
    const b = s2h3.inputs.b as { pid: number };
    expect(a.pid).not.toBe(b.pid);
    expect(s2h3.inputs.mtu).toBe(t.overlay.mtu);
    expect(s2h3.inputs.helper).toBe("vxlab-unicast-static-default-wiring");
    expect(named("s1-r1").inputs.mtu).toBe(9000);
    // FRR addresses the underlay ends itself.
    expect(named("s1-r1").inputs.a).not.toHaveProperty("addresses");
  });

  it("holds every link until the last container is up, so that all links are made in one burst", () => {
    const slowDone = named(SLOW).done;
    for (const l of ofType(":Link")) expect(l.at).toBeGreaterThanOrEqual(slowDone);
  });

  it("waits for convergence only after every link exists, watching every VTEP loopback", () => {
    const conv = named("underlay-converged");
    expect(conv.at).toBeGreaterThanOrEqual(Math.max(...ofType(":Link").map((l) => l.done)));
    expect((conv.inputs.vteps as { loopback: string }[]).map((v) => v.loopback)).toEqual([
      "2001:db8:1::1",
      "2001:db8:2::1",
      "2001:db8:3::1",
    ]);
  });

  it("sizes the host's neighbour table limits for the lab", () => {
    expect(named("neighbour-limits").inputs.entries).toBeGreaterThan(t.hosts.length * (t.hosts.length - 1));
  });
});
