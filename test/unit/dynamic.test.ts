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

  it("adds a registry linked to every router and one agent per VTEP, after the seed's nodes", () => {
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
      uplinks: [
        { iface: "r1", router: "R1", gateway: "2001:db8:fffe:1::1" },
        { iface: "r2", router: "R2", gateway: "2001:db8:fffe:2::1" },
      ],
      url: "http://[2001:db8:fffe::2]:2379",
      keyPrefix: "/vxlan-lab/100/",
      agents: { S1: "S1-agent", S2: "S2-agent", S3: "S3-agent" },
    });
    expect(t.links.filter((l) => l.kind === "service")).toMatchObject([
      {
        name: "registry-r1",
        a: { node: "registry", iface: "r1", address: "2001:db8:fffe:1::2/64" },
        b: { node: "R1", iface: "registry", address: "2001:db8:fffe:1::1/64" },
      },
      {
        name: "registry-r2",
        a: { node: "registry", iface: "r2", address: "2001:db8:fffe:2::2/64" },
        b: { node: "R2", iface: "registry", address: "2001:db8:fffe:2::1/64" },
      },
    ]);
    // Four routers: four links, still one service address.
    const four = lab("unicast-dynamic-l2", { routers: 4 });
    expect(four.registry?.uplinks.map((u) => u.gateway)).toEqual(
      [1, 2, 3, 4].map((r) => `2001:db8:fffe:${r}::1`),
    );
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

  it("every router routes the service address to its registry link and redistributes it, the link itself out of OSPF", () => {
    for (const [r, net] of [
      ["R1", "2001:db8:fffe:1::"],
      ["R2", "2001:db8:fffe:2::"],
    ] as const) {
      const conf = frrConfig(t, r).split("\n");
      const at = conf.indexOf("interface registry");
      // Out of OSPF, so the external route carries no forwarding address.
      expect(conf.slice(at, at + 3)).toEqual(["interface registry", ` ipv6 address ${net}1/64`, "exit"]);
      expect(conf).toContain(`ipv6 route 2001:db8:fffe::2/128 ${net}2 registry`);
      expect(conf).toContain(" redistribute static");
      // No BFD on it: the registry runs no routing daemon.
      expect(conf.slice(at, at + 3).join("\n")).not.toContain("bfd");
    }
    // The VTEPs have no service link and redistribute nothing.
    expect(frrConfig(t, "S1")).not.toMatch(/registry|redistribute/);
    expect(frrConfig(lab("unicast-static-default"), "R1")).not.toMatch(/registry|redistribute/);
    expect(() => frrConfig(t, "registry")).toThrow(/registry and runs no FRR/);
  });

  it("puts the service address on lo, routes the lab's /32 back over every link that exists, then starts etcd", () => {
    expect(registryCommands(t)).toEqual([
      "ip -6 addr replace 2001:db8:fffe::2/128 dev lo",
      'set -- r1 2001:db8:fffe:1::1 r2 2001:db8:fffe:2::1; nh=""; while [ $# -gt 0 ]; do ' +
        'if ip link show dev "$1" >/dev/null 2>&1; then nh="$nh nexthop via $2 dev $1"; fi; shift 2; done; ' +
        "ip -6 route replace 2001:db8::/32 $nh",
      "REGISTRY_ADDRESS=2001:db8:fffe::2 registry-start",
    ]);
    // A down link leaves its route at once: its nexthop is skipped, not used.
    expect(t.nodes.find((n) => n.name === "registry")?.sysctls).toMatchObject({
      "net.ipv6.conf.all.ignore_routes_with_linkdown": "1",
    });
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
    expect(svg).toContain('data-link="registry-r2"');
    // Drawn between R1 and R2, so that neither link crosses a router.
    const x = (node: string) =>
      Number(new RegExp(`data-node="${node}"[^]*?<rect x="([\\d.]+)"`).exec(svg)?.[1]);
    expect(x("R1")).toBeLessThan(x("registry"));
    expect(x("registry")).toBeLessThan(x("R2"));
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
