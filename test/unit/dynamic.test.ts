/** The dynamic variants as data: the registry node, the agents, and what each variant runs. */
import { describe, expect, it } from "vitest";
import { frrConfig, resolveTopology, validateTopology, type Topology } from "../../src/model";
import { agentCommands, agentConfig } from "../../src/overlay/agent";
import { registryCommands } from "../../src/underlay/commands";
import { topologySvg } from "../../src/graph/svg";
import { variantFor } from "../../variants";
import { solicitedFromRegistry } from "../../variants/unicast-dynamic-l2";

const lab = (variant: string, extra = {}): Topology => resolveTopology({ stack: "t", variant, ...extra });
const vxlanLine = (cmds: string[]) => cmds.find((c) => c.includes("type vxlan")) ?? "";

describe("dynamic topology", () => {
  const t = lab("unicast-dynamic-nd");

  it("adds a registry behind R1 and one agent per VTEP, after the seed's nodes", () => {
    expect(t.nodes.map((n) => n.name)).toEqual([
      "R1",
      "R2",
      "S1",
      "S2",
      "S3",
      "H1",
      "H2",
      "H3",
      "H4",
      "registry",
      "S1-agent",
      "S2-agent",
      "S3-agent",
    ]);
    expect(t.registry).toMatchObject({
      node: "registry",
      address: "2001:db8:fffe::2",
      url: "http://[2001:db8:fffe::2]:2379",
      keyPrefix: "/vxlan-lab/100/",
      agents: { S1: "S1-agent", S2: "S2-agent", S3: "S3-agent" },
    });
    const link = t.links.find((l) => l.kind === "service");
    expect(link).toMatchObject({
      name: "registry-r1",
      a: { node: "registry", iface: "r1", address: "2001:db8:fffe::2/64" },
      b: { node: "R1", iface: "registry", address: "2001:db8:fffe::1/64" },
    });
  });

  it("puts each agent in its VTEP's namespace with NET_ADMIN only and no interfaces", () => {
    const a = t.nodes.find((n) => n.name === "S2-agent");
    expect(a).toMatchObject({ kind: "agent", netns: "S2", interfaces: [], capabilities: ["NET_ADMIN"] });
    expect(a?.sysctls).toEqual({});
    expect(a?.container).toBe("vxlab-t-s2-agent");
    expect(t.nodes.find((n) => n.name === "registry")?.capabilities).toEqual(["NET_ADMIN"]);
  });

  it("has no registry or agents in the static variants", () => {
    const s = lab("unicast-static-nd");
    expect(s.registry).toBeUndefined();
    expect(s.nodes.filter((n) => n.kind === "registry" || n.kind === "agent")).toEqual([]);
  });

  it("R1 advertises the registry link as a passive OSPFv3 interface; R2 knows nothing of it", () => {
    const r1 = frrConfig(t, "R1").split("\n");
    const at = r1.indexOf("interface registry");
    expect(r1.slice(at, at + 5)).toEqual([
      "interface registry",
      " ipv6 address 2001:db8:fffe::1/64",
      " ipv6 ospf6 area 0",
      " ipv6 ospf6 passive",
      "exit",
    ]);
    expect(frrConfig(t, "R2")).not.toContain("registry");
    expect(() => frrConfig(t, "registry")).toThrow(/registry and runs no FRR/);
  });

  it("routes only the lab's /32 back through R1, then starts etcd (its address comes with its link)", () => {
    expect(registryCommands(t)).toEqual([
      "ip -6 route replace 2001:db8::/32 via 2001:db8:fffe::1 dev r1",
      "REGISTRY_ADDRESS=2001:db8:fffe::2 registry-start",
    ]);
    expect(() => registryCommands(lab("multicast"))).toThrow(/has no registry/);
  });

  it("catches a sidecar whose namespace is not a VTEP's", () => {
    const bad = lab("unicast-dynamic-l2");
    const agent = bad.nodes.find((n) => n.kind === "agent");
    if (agent) agent.netns = "R1";
    expect(validateTopology(bad)).toContain("S1-agent shares the namespace of R1, which is not a VTEP");
  });

  it("draws the registry with the routers and names the agent inside each VTEP", () => {
    const svg = topologySvg(t);
    expect(svg).toContain('data-node="registry"');
    expect(svg).toContain("+ S1-agent");
    expect(svg).toContain('data-link="registry-r1"');
  });
});

describe("agent config", () => {
  it("tells each agent its VTEP, VXLAN device, registry and mode; nothing about hosts", () => {
    const t = lab("unicast-dynamic-l2");
    const c = agentConfig(t, "S3", "l2");
    expect(c).toEqual({
      vtep: "2001:db8:3::1",
      vni: 100,
      device: "vxlan100",
      bridge: "br100",
      registry: "http://[2001:db8:fffe::2]:2379",
      mode: "l2",
      leaseTtl: 10,
      pollMs: 1000,
      statusFile: "/run/vxlan-agent/status.json",
      prefix: "/vxlan-lab/100/",
    });
    expect(JSON.stringify(c)).not.toMatch(/50:54:33|2001:db8:ff::/);
    const cmds = agentCommands(t, "S3", "l2");
    expect(cmds.some((x) => x.startsWith("printf %s ") && x.endsWith("> /etc/vxlan-agent/config.json"))).toBe(
      true,
    );
    expect(cmds.at(-1)).toMatch(/did not report within 30 s/);
  });
});

describe("dynamic variants", () => {
  it("dynamic-l2: nolearning + l2miss, no static FDB or neighbour entry anywhere", () => {
    const t = lab("unicast-dynamic-l2");
    const cmds = variantFor("unicast-dynamic-l2")!.commands(t);
    expect(vxlanLine(cmds.S1!)).toMatch(/ nolearning l2miss$/);
    const all = Object.values(cmds).flat();
    expect(all.some((c) => /bridge fdb|neigh replace .* dev vxlan/.test(c))).toBe(false);
    expect(Object.keys(cmds)).toEqual(
      expect.arrayContaining(["S1", "S2", "S3", "S1-agent", "S2-agent", "S3-agent", "H1", "H4"]),
    );
    expect(cmds.H1).toEqual(["ping -6 -c1 -W1 -I 2001:db8:ff::10 ff02::1%eth0 >/dev/null || true"]);
  });

  it("dynamic-l2: S1 expects one solicited-node entry per remote address in the registry, to its VTEP", () => {
    const t = lab("unicast-dynamic-l2");
    const entry = (key: string, value: Record<string, string>) => ({ key, value, lease: "7" });
    const registry = [
      entry("/vxlan-lab/100/ip/2001:db8:ff::10", { mac: "50:54:33:00:00:08", vtep: "2001:db8:1::1" }),
      entry("/vxlan-lab/100/ip/2001:db8:ff::13", { mac: "50:54:33:00:00:0b", vtep: "2001:db8:3::1" }),
      entry("/vxlan-lab/100/ip/2001:db8:ff::12:3456", { mac: "50:54:33:00:00:0a", vtep: "2001:db8:2::1" }),
      entry("/vxlan-lab/100/mac/50:54:33:00:00:0b", { vtep: "2001:db8:3::1" }),
    ];
    expect(solicitedFromRegistry(registry, t, "S1")).toEqual([
      "33:33:ff:00:00:13>2001:db8:3::1",
      "33:33:ff:12:34:56>2001:db8:2::1",
    ]);
    expect(variantFor("unicast-dynamic-l2")!.amplification(t)).toBe(1);
  });

  it("dynamic-nd: nolearning, proxy, l2miss and l3miss; zero amplification", () => {
    const t = lab("unicast-dynamic-nd");
    const v = variantFor("unicast-dynamic-nd")!;
    expect(vxlanLine(v.commands(t).S2!)).toMatch(/ nolearning proxy l2miss l3miss$/);
    expect(v.amplification(t)).toBe(0);
    expect(v.checks(t).map((c) => c.name)).toEqual(
      expect.arrayContaining([
        "agents: one per VTEP, connected to the registry",
        expect.stringMatching(/^registry: every host is published/),
      ]),
    );
  });
});
