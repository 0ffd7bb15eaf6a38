import { describe, expect, it } from "vitest";
import {
  CAPABILITIES,
  LIMITS,
  MULTICAST_MAX_VTEPS,
  TopologyError,
  VARIANTS,
  formatIPv6,
  getNode,
  hostsBehind,
  inPrefix,
  isVariant,
  nodesOfKind,
  normalize,
  parseIPv6,
  prefixOf,
  resolveTopology,
  specFromConfig,
  validateTopology,
  type LabSpec,
  type Topology,
} from "../../src/model";

const seed = (): Topology => resolveTopology({ stack: "multicast", variant: "multicast" });

/** The problems of the TopologyError thrown by fn; fails the test if fn does not throw one. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return [...(e as TopologyError).problems];
  }
  throw new Error("expected a TopologyError, nothing was thrown");
}

const spec = (extra: Partial<LabSpec> = {}): LabSpec => ({ stack: "lab", variant: "multicast", ...extra });

describe("variants", () => {
  it("lists the eight variants and recognises only them", () => {
    expect(VARIANTS).toHaveLength(8);
    expect(VARIANTS.every(isVariant)).toBe(true);
    expect(isVariant("unicast-static-rsc")).toBe(true);
    expect(isVariant("unicast")).toBe(false);
    expect(isVariant("Multicast")).toBe(false);
  });
});

describe("default topology reproduces the seed", () => {
  it("has routers R1-R2, VTEPs S1-S3 and hosts H1-H4 in that order", () => {
    const t = seed();
    expect(t.nodes.map((n) => n.name)).toEqual(["R1", "R2", "S1", "S2", "S3", "H1", "H2", "H3", "H4"]);
    expect(nodesOfKind(t, "router").map((n) => n.name)).toEqual(["R1", "R2"]);
    expect(t.project).toBe("vxlan-lab");
    expect(t.placement).toEqual([1, 2, 1]);
  });

  it("uses the seed's loopbacks and distinct router IDs", () => {
    const t = seed();
    const lo = Object.fromEntries(t.nodes.map((n) => [n.name, [n.loopback, n.routerId]]));
    expect(lo).toMatchObject({
      S1: ["2001:db8:1::1", "10.0.1.1"],
      S2: ["2001:db8:2::1", "10.0.1.2"],
      S3: ["2001:db8:3::1", "10.0.1.3"],
      R1: ["2001:db8:ffff::1", "10.0.255.1"],
      R2: ["2001:db8:ffff::2", "10.0.255.2"],
    });
    expect(getNode(t, "H1").loopback).toBeUndefined();
  });

  it("places hosts, MACs and overlay addresses exactly as the seed", () => {
    expect(seed().hosts).toEqual([
      { name: "H1", vtep: "S1", vtepPort: "h1", mac: "50:54:33:00:00:08", address: "2001:db8:ff::10/64" },
      { name: "H2", vtep: "S2", vtepPort: "h2", mac: "50:54:33:00:00:09", address: "2001:db8:ff::11/64" },
      { name: "H3", vtep: "S2", vtepPort: "h3", mac: "50:54:33:00:00:0a", address: "2001:db8:ff::12/64" },
      { name: "H4", vtep: "S3", vtepPort: "h4", mac: "50:54:33:00:00:0b", address: "2001:db8:ff::13/64" },
    ]);
  });

  it("puts H2 and H3 behind S2 on two separate access ports", () => {
    const t = seed();
    expect(hostsBehind(t, "S2").map((h) => h.name)).toEqual(["H2", "H3"]);
    const s2 = getNode(t, "S2");
    const ports = s2.interfaces.filter((i) => i.peer.node.startsWith("H"));
    expect(ports.map((i) => [i.name, i.peer.node, i.peer.iface])).toEqual([
      ["h2", "H2", "eth0"],
      ["h3", "H3", "eth0"],
    ]);
    expect(new Set(ports.map((p) => p.link)).size).toBe(2);
  });

  it("links every VTEP to every router and nothing else, each link in its own /64", () => {
    const t = seed();
    const underlay = t.links.filter((l) => l.kind === "underlay");
    expect(underlay.map((l) => l.name)).toEqual(["s1-r1", "s1-r2", "s2-r1", "s2-r2", "s3-r1", "s3-r2"]);
    expect(underlay.every((l) => l.a.node.startsWith("S") && l.b.node.startsWith("R"))).toBe(true);
    expect(underlay[0]).toEqual({
      name: "s1-r1",
      kind: "underlay",
      a: { node: "S1", iface: "r1", address: "2001:db8:ffff:1::2/64" },
      b: { node: "R1", iface: "s1", address: "2001:db8:ffff:1::1/64" },
      mtu: 9000,
    });
    expect(underlay[5]?.b.address).toBe("2001:db8:ffff:6::1/64");
    const prefixes = underlay.map((l) => prefixOf(l.a.address ?? ""));
    expect(new Set(prefixes).size).toBe(6);
    expect(underlay.every((l) => prefixOf(l.a.address ?? "") === prefixOf(l.b.address ?? ""))).toBe(true);
  });

  it("names interfaces after their peer and gives access links no address", () => {
    const t = seed();
    expect(getNode(t, "S1").interfaces.map((i) => i.name)).toEqual(["r1", "r2", "h1"]);
    expect(getNode(t, "R2").interfaces.map((i) => i.name)).toEqual(["s1", "s2", "s3"]);
    expect(getNode(t, "H4").interfaces).toEqual([
      { name: "eth0", link: "s3-h4", peer: { node: "S3", iface: "h4" } },
    ]);
    const access = t.links.filter((l) => l.kind === "access");
    expect(access.map((l) => l.name)).toEqual(["s1-h1", "s2-h2", "s2-h3", "s3-h4"]);
    expect(access.every((l) => l.a.address === undefined && l.b.address === undefined)).toBe(true);
  });

  it("sizes MTUs: underlay as configured, overlay 70 bytes less for VXLAN over IPv6", () => {
    const t = resolveTopology(spec({ mtu: 1500 }));
    expect(t.underlay.mtu).toBe(1500);
    expect(t.overlay.mtu).toBe(1430);
    expect(t.links.filter((l) => l.kind === "access").every((l) => l.mtu === 1430)).toBe(true);
    expect(t.links.filter((l) => l.kind === "underlay").every((l) => l.mtu === 1500)).toBe(true);
  });

  it("names containers and labels them with project and stack", () => {
    const t = resolveTopology({ project: "p1", stack: "unicast-static-l2", variant: "unicast-static-l2" });
    const h2 = getNode(t, "H2");
    expect(h2.container).toBe("vxlab-unicast-static-l2-h2");
    expect(getNode(t, "R1").container).toBe("vxlab-unicast-static-l2-r1");
    expect(h2.labels).toEqual({
      "vxlan-lab.project": "p1",
      "vxlan-lab.stack": "unicast-static-l2",
      "vxlan-lab.node": "H2",
      "vxlan-lab.kind": "host",
    });
  });

  it("carries the VXLAN parameters", () => {
    expect(seed().vxlan).toEqual({
      vni: 100,
      port: 4789,
      ttl: 5,
      group: "ff35::100",
      device: "vxlan100",
      bridge: "br100",
      overlayPrefix: "2001:db8:ff::/64",
    });
  });

  it("grants least-privilege capabilities and per-kind sysctls", () => {
    const t = seed();
    expect(getNode(t, "R1").capabilities).toEqual(["NET_ADMIN", "NET_RAW", "SYS_ADMIN"]);
    expect(getNode(t, "S3").capabilities).toEqual([...CAPABILITIES.vtep]);
    expect(getNode(t, "H1").capabilities).toEqual(["NET_ADMIN", "NET_RAW"]);
    expect(getNode(t, "S1").sysctls).toEqual({
      "net.ipv6.conf.all.disable_ipv6": "0",
      "net.ipv6.conf.default.disable_ipv6": "0",
      "net.ipv6.conf.all.forwarding": "1",
    });
    expect(getNode(t, "H1").sysctls).toEqual({
      "net.ipv6.conf.all.disable_ipv6": "0",
      "net.ipv6.conf.default.disable_ipv6": "0",
      "net.ipv6.conf.all.accept_dad": "0",
      "net.ipv6.conf.default.accept_dad": "0",
    });
  });

  it("returns fresh data: mutating one topology does not leak into the next", () => {
    const a = seed();
    getNode(a, "R1").capabilities.push("SYS_MODULE");
    a.vxlan.vni = 1;
    const b = seed();
    expect(getNode(b, "R1").capabilities).not.toContain("SYS_MODULE");
    expect(b.vxlan.vni).toBe(100);
  });

  // resolveTopology throws a TopologyError when its own consistency check
  // (validateTopology) finds a problem in what it built: each size must build.
  it.each(VARIANTS)("builds %s at its smallest and largest size without an inconsistency", (variant) => {
    const max = variant === "multicast" ? MULTICAST_MAX_VTEPS : LIMITS.vteps.max;
    for (const [vteps, routers] of [
      [LIMITS.vteps.min, LIMITS.routers.min],
      [max, LIMITS.routers.max],
    ] as const) {
      const t = resolveTopology({ stack: "x", variant, vteps, routers });
      expect(nodesOfKind(t, "vtep")).toHaveLength(vteps);
      expect(nodesOfKind(t, "router")).toHaveLength(routers);
    }
  });

  it("moves the last VTEP's hosts to 2001:db8:fe::/64 with absent gateways for route short-circuit", () => {
    const t = resolveTopology({ stack: "unicast-static-rsc", variant: "unicast-static-rsc" });
    const h1 = t.hosts[0];
    const h4 = t.hosts[3];
    expect(h1).toMatchObject({
      address: "2001:db8:ff::10/64",
      gateway: { address: "2001:db8:ff::1", mac: "02:00:00:00:00:01" },
    });
    expect(h4).toMatchObject({
      name: "H4",
      address: "2001:db8:fe::13/64",
      gateway: { address: "2001:db8:fe::1", mac: "02:00:00:00:00:02" },
    });
    expect(t.overlay.subnets.map((s) => s.prefix)).toEqual(["2001:db8:ff::/64", "2001:db8:fe::/64"]);
    expect(seed().hosts.some((h) => h.gateway !== undefined)).toBe(false);
  });
});

describe("sizes", () => {
  it("vteps=8 routers=1 hostsPerVtep=2 gives 8 underlay links and 16 unique hosts", () => {
    const t = resolveTopology(spec({ vteps: 8, routers: 1, hostsPerVtep: 2 }));
    expect(t.links.filter((l) => l.kind === "underlay")).toHaveLength(8);
    expect(t.hosts).toHaveLength(16);
    expect(new Set(t.hosts.map((h) => h.mac)).size).toBe(16);
    expect(new Set(t.hosts.map((h) => h.address)).size).toBe(16);
    expect(t.hosts[15]).toMatchObject({
      name: "H16",
      vtep: "S8",
      mac: "50:54:33:00:00:17",
      address: "2001:db8:ff::1f/64",
    });
    expect(getNode(t, "R1").interfaces.map((i) => i.name)).toEqual([
      "s1",
      "s2",
      "s3",
      "s4",
      "s5",
      "s6",
      "s7",
      "s8",
    ]);
  });

  it("placement [0,3] leaves S1 without hosts and puts H1-H3 behind S2", () => {
    const t = resolveTopology(spec({ vteps: 2, placement: [0, 3] }));
    expect(hostsBehind(t, "S1")).toEqual([]);
    expect(hostsBehind(t, "S2").map((h) => [h.name, h.vtepPort])).toEqual([
      ["H1", "h1"],
      ["H2", "h2"],
      ["H3", "h3"],
    ]);
    expect(getNode(t, "S1").interfaces.map((i) => i.name)).toEqual(["r1", "r2"]);
  });

  it("uses one host per VTEP when vteps is not 3 and no placement is given", () => {
    expect(resolveTopology(spec({ vteps: 5 })).placement).toEqual([1, 1, 1, 1, 1]);
  });

  it("numbers loopbacks and link prefixes in hex", () => {
    const t = resolveTopology(spec({ variant: "unicast-static-default", vteps: 64, routers: 4 }));
    expect(getNode(t, "S10").loopback).toBe("2001:db8:a::1");
    expect(getNode(t, "S64").loopback).toBe("2001:db8:40::1");
    expect(getNode(t, "S64").routerId).toBe("10.0.1.64");
    expect(getNode(t, "R4").loopback).toBe("2001:db8:ffff::4");
    expect(t.links.find((l) => l.name === "s64-r4")?.b.address).toBe("2001:db8:ffff:100::1/64");
  });

  it("reaches 200 hosts with unique one-byte MAC suffixes", () => {
    const t = resolveTopology(spec({ vteps: 25, hostsPerVtep: 8 }));
    expect(t.hosts).toHaveLength(200);
    expect(t.hosts[199]).toMatchObject({ mac: "50:54:33:00:00:cf", address: "2001:db8:ff::d7/64" });
    expect(new Set(t.hosts.map((h) => h.mac)).size).toBe(200);
  });
});

describe("spec validation", () => {
  it("rejects an unknown variant and lists the valid ones", () => {
    const [p] = problemsOf(() => resolveTopology(spec({ variant: "foo" })));
    expect(p).toBe(
      'unknown variant "foo"; valid variants: multicast, unicast-static-default, unicast-static-l2, ' +
        "unicast-static-nd, unicast-static-rsc, unicast-dynamic-l2, unicast-dynamic-nd, evpn",
    );
  });

  it("rejects multicast past 31 VTEPs: the kernel's 32 IPv6 multicast interfaces per router", () => {
    const [p] = problemsOf(() => resolveTopology(spec({ variant: "multicast", vteps: 32 })));
    expect(p).toMatch(/^variant multicast supports at most 31 VTEPs, got 32: .*MAXMIFS/);
    expect(() => resolveTopology(spec({ variant: "multicast", vteps: 31 }))).not.toThrow();
    expect(() => resolveTopology(spec({ variant: "unicast-static-default", vteps: 32 }))).not.toThrow();
  });

  it.each([
    [{ vteps: 1 }, "vteps must be an integer from 2 to 64, got 1"],
    [{ vteps: 65 }, "vteps must be an integer from 2 to 64, got 65"],
    [{ vteps: 2.5 }, "vteps must be an integer from 2 to 64, got 2.5"],
    [{ routers: 9 }, "routers must be an integer from 1 to 4, got 9"],
    [{ routers: 0 }, "routers must be an integer from 1 to 4, got 0"],
    [{ placement: [1, 1, 1, 1] }, "placement has 4 entries but vteps is 3"],
    [{ hostsPerVtep: 2, placement: [1, 2, 1] }, "hostsPerVtep and placement are mutually exclusive"],
    [{ placement: [1, 9, -1] }, "placement entries must be integers from 0 to 8 (got 9, -1)"],
    [{ hostsPerVtep: 9 }, "hostsPerVtep must be an integer from 0 to 8, got 9"],
    [{ placement: [0, 0, 0] }, "total hosts must be from 1 to 200, got 0"],
    [
      { variant: "unicast-static-default", vteps: 64, hostsPerVtep: 4 },
      "total hosts must be from 1 to 200, got 256",
    ],
    [{ mtu: 1349 }, "mtu must be an integer from 1350 to 9000"],
    [{ mtu: 9001 }, "mtu must be an integer from 1350 to 9000"],
    [{ mtu: 1500.5 }, "got 1500.5"],
    [{ stack: "Bad_Name" }, 'stack name "Bad_Name" is invalid; it must match /^[a-z0-9][a-z0-9-]{0,30}$/'],
    [{ stack: "-lab" }, 'stack name "-lab" is invalid'],
    [{ stack: "a".repeat(32) }, "is invalid; it must match"],
    [{ project: "my project" }, 'project name "my project" is invalid; it must match'],
  ] as [Partial<LabSpec>, string][])("%j -> %s", (extra, message) => {
    const problems = problemsOf(() => resolveTopology(spec(extra)));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it("explains why mtu must leave room for the overlay", () => {
    const [p] = problemsOf(() => resolveTopology(spec({ mtu: 1280 })));
    expect(p).toMatch(/VXLAN over IPv6 takes 70 bytes and the overlay needs at least 1280\), got 1280$/);
  });

  it("needs hosts behind two VTEPs for route short-circuit", () => {
    const [p] = problemsOf(() =>
      resolveTopology(spec({ variant: "unicast-static-rsc", vteps: 2, placement: [0, 3] })),
    );
    expect(p).toContain("unicast-static-rsc needs hosts behind at least 2 VTEPs");
    expect(p).toContain("got hosts behind 1");
  });

  it("collects every problem instead of stopping at the first", () => {
    const problems = problemsOf(() =>
      resolveTopology({ stack: "Nope", variant: "bar", vteps: 1, routers: 9, mtu: 100, placement: [9] }),
    );
    expect(problems).toHaveLength(6);
    expect(problems.join("\n")).toMatch(
      /stack name[\s\S]*unknown variant[\s\S]*vteps[\s\S]*routers[\s\S]*mtu/,
    );
    expect(problems.some((p) => p.startsWith("placement entries"))).toBe(true);
  });

  it("puts every problem into the error message", () => {
    try {
      resolveTopology(spec({ vteps: 1, routers: 9 }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TopologyError);
      expect((e as Error).message).toContain("vteps must be");
      expect((e as Error).message).toContain("routers must be");
    }
  });
});

describe("validateTopology on hand-corrupted topologies", () => {
  it("catches a duplicated MAC", () => {
    const t = seed();
    const h3 = t.hosts[2];
    if (h3) h3.mac = "50:54:33:00:00:08";
    const problems = validateTopology(t);
    expect(problems).toEqual([
      "MAC 50:54:33:00:00:08 is used by both H1 and H3; every host needs its own MAC",
    ]);
  });

  it("catches a duplicated address", () => {
    const t = seed();
    const h4 = t.hosts[3];
    if (h4) h4.address = "2001:db8:ff:0::10/64";
    expect(validateTopology(t)).toEqual([
      "address 2001:db8:ff::10 is used by both H1 and H4; every address must be unique",
    ]);
  });

  it("catches a loopback inside the overlay prefix", () => {
    const t = seed();
    getNode(t, "S2").loopback = "2001:db8:ff::99";
    const problems = validateTopology(t);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      "S2 loopback address 2001:db8:ff::99 falls inside overlay prefix 2001:db8:ff::/64",
    );
    expect(problems[0]).toContain("must stay outside 2001:db8:ff::/64 and 2001:db8:fe::/64");
  });

  it("catches a router loopback inside the route-short-circuit prefix", () => {
    const t = seed();
    getNode(t, "R2").loopback = "2001:db8:fe::2";
    expect(validateTopology(t).join("\n")).toContain("falls inside overlay prefix 2001:db8:fe::/64");
  });

  it("catches two links sharing a /64", () => {
    const t = seed();
    const link = t.links[1];
    if (link) {
      link.a.address = "2001:db8:ffff:1::6/64";
      link.b.address = "2001:db8:ffff:1::5/64";
    }
    const problems = validateTopology(t);
    expect(problems).toContain(
      "links s1-r1 and s1-r2 share prefix 2001:db8:ffff:1::/64; every underlay link needs its own /64",
    );
    // The interfaces still carry the old addresses, so the wiring check notices too.
    expect(problems.some((p) => p.includes("does not match link s1-r2"))).toBe(true);
  });

  it("catches a loopback inside a link prefix and duplicate container names", () => {
    const t = seed();
    getNode(t, "S1").loopback = "2001:db8:ffff:3::99";
    getNode(t, "H2").container = "vxlab-multicast-h1";
    const text = validateTopology(t).join("\n");
    expect(text).toContain(
      "S1 loopback 2001:db8:ffff:3::99 falls inside prefix 2001:db8:ffff:3::/64 of link s2-r1",
    );
    expect(text).toContain("container name vxlab-multicast-h1 is used by both H1 and H2");
  });

  it("catches duplicate router IDs and malformed values", () => {
    const t = seed();
    getNode(t, "R2").routerId = "10.0.255.1";
    getNode(t, "S1").loopback = "2001:db8::zz";
    const text = validateTopology(t).join("\n");
    expect(text).toContain("router ID 10.0.255.1 is used by both R1 and R2");
    expect(text).toContain('S1 loopback address "2001:db8::zz" is not a valid IPv6 address');
  });

  it("catches a MAC and a router ID that are not written as such", () => {
    const t = seed();
    const h1 = t.hosts[0];
    if (h1) h1.mac = "50:54:33:00:00:zz";
    getNode(t, "S3").routerId = "10.0.1";
    const text = validateTopology(t).join("\n");
    expect(text).toContain('H1 MAC "50:54:33:00:00:zz" is not like 50:54:33:00:00:08');
    expect(text).toContain('S3 router ID "10.0.1" is not a dotted quad like 10.0.1.1');
  });

  it("catches a host attached to a port that is not cabled to it", () => {
    const t = seed();
    const h1 = t.hosts[0];
    if (h1) h1.vtepPort = "r1";
    expect(validateTopology(t)).toEqual(["host H1 port S1 r1 is not cabled to H1"]);
  });
});

describe("specFromConfig", () => {
  const from = (values: Record<string, string>, stack = "multicast"): LabSpec =>
    specFromConfig(stack, (k) => values[k]);

  it("defaults the variant to the stack name and leaves unset keys out", () => {
    expect(from({})).toEqual({ stack: "multicast", variant: "multicast" });
    expect(from({ variant: "unicast-static-nd" }, "demo")).toEqual({
      stack: "demo",
      variant: "unicast-static-nd",
    });
  });

  it("parses numbers and both placement spellings", () => {
    expect(from({ vteps: "4", routers: " 1 ", mtu: "1500", placement: "1, 2,0,1" })).toEqual({
      stack: "multicast",
      variant: "multicast",
      vteps: 4,
      routers: 1,
      mtu: 1500,
      placement: [1, 2, 0, 1],
    });
    expect(from({ placement: "[2,0]" }).placement).toEqual([2, 0]);
    expect(from({ hostsPerVtep: "3" }).hostsPerVtep).toBe(3);
  });

  it("feeds resolveTopology, which checks the ranges", () => {
    const t = resolveTopology(from({ vteps: "2", placement: "[0,3]" }));
    expect(t.hosts.map((h) => h.vtep)).toEqual(["S2", "S2", "S2"]);
    expect(problemsOf(() => resolveTopology(from({ vteps: "1.5" })))).toEqual([
      "vteps must be an integer from 2 to 64, got 1.5",
    ]);
  });

  it("rejects non-numeric values naming the key and what is valid, all at once", () => {
    const problems = problemsOf(() =>
      from({ vteps: "three", routers: "0x2", hostsPerVtep: "", mtu: "9k", placement: "1,two" }),
    );
    expect(problems).toEqual([
      'config key "vteps" must be an integer from 2 to 64, got "three"',
      'config key "routers" must be an integer from 1 to 4, got "0x2"',
      'config key "hostsPerVtep" must be an integer from 0 to 8, got ""',
      'config key "mtu" must be an integer from 1350 to 9000 (bytes, underlay link MTU), got "9k"',
      'config key "placement" must be a comma-separated list or a JSON array of host counts per VTEP, ' +
        'each an integer from 0 to 8 (e.g. 1,2,1 or [1,2,1]), got "1,two"',
    ]);
  });

  it("takes bfdInterval (ms) and says what is valid, with the default and why it has a floor", () => {
    expect(resolveTopology(from({ bfdInterval: "250" })).underlay.bfd).toEqual({
      intervalMs: 250,
      multiplier: 3,
    });
    expect(problemsOf(() => from({ bfdInterval: "fast" }))).toEqual([
      'config key "bfdInterval" must be an integer from 100 to 1000 (ms), got "fast"',
    ]);
    expect(problemsOf(() => resolveTopology(from({ bfdInterval: "50" })))).toEqual([
      "bfdInterval must be an integer from 100 to 1000 (ms, BFD on every underlay link, detection after 3 missed; " +
        "default 100 up to 16 VTEPs, 300 above, where 100 flapped on 2 CPUs), got 50",
    ]);
  });

  it.each(["[1,2", '{"a":1}', '["x"]', "", "1,,2"])("rejects placement %j", (placement) => {
    const [p] = problemsOf(() => from({ placement }));
    expect(p).toMatch(/^config key "placement" must be/);
  });
});

describe("ipv6 helper", () => {
  it.each([
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // first of two equal runs
    ["2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"], // longest run, not the first
    ["2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"], // a single zero group stays
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["FF05::100", "ff05::100"],
    ["::ffff:192.0.2.1", "::ffff:c000:201"],
    ["::192.0.2.1", "::c000:201"], // an IPv4 tail is just the low 32 bits, not a mapped address
    ["2001:db8:ffff:1::", "2001:db8:ffff:1::"],
  ])("normalises %s to %s", (input, output) => {
    expect(formatIPv6(parseIPv6(input))).toBe(output);
  });

  it("expands to the full 128-bit value", () => {
    expect(parseIPv6("2001:db8::1")).toBe(0x20010db8000000000000000000000001n);
    expect(parseIPv6("::")).toBe(0n);
    expect(parseIPv6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toBe((1n << 128n) - 1n);
  });

  it.each([
    "",
    ":",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "12345::",
    "g::1",
    "1:2:3:4:5:6:7::8",
    "::1.2.3.256",
    "2001:db8::1/64",
    "fe80::1%eth0",
  ])("rejects %j", (bad) => {
    expect(() => parseIPv6(bad)).toThrow(/invalid IPv6 address/);
  });

  it("rejects values outside 128 bits", () => {
    expect(() => formatIPv6(1n << 128n)).toThrow();
    expect(() => formatIPv6(-1n)).toThrow();
  });

  it("tests prefix membership", () => {
    expect(inPrefix("2001:db8:ff::10", "2001:db8:ff::/64")).toBe(true);
    expect(inPrefix("2001:db8:ff::10/64", "2001:db8:ff::/64")).toBe(true);
    expect(inPrefix("2001:db8:ff:1::10", "2001:db8:ff::/64")).toBe(false);
    expect(inPrefix("2001:db8:fe::13", "2001:db8:ff::/64")).toBe(false);
    expect(inPrefix("2001:db8:ffff::1", "2001:db8:ffff:1::/64")).toBe(false);
    expect(inPrefix("ff05::100", "ff05::/16")).toBe(true);
    expect(inPrefix("::1", "::/0")).toBe(true);
    expect(inPrefix(parseIPv6("2001:db8::1"), "2001:db8::1/128")).toBe(true);
    expect(inPrefix("2001:db8::2", "2001:db8::1/128")).toBe(false);
    expect(() => inPrefix("::1", "::")).toThrow(/missing \/length/);
    expect(() => inPrefix("::1", "::/129")).toThrow(/0 to 128/);
  });

  it("computes canonical prefixes and normalises CIDRs", () => {
    expect(prefixOf("2001:db8:ffff:1::2/64")).toBe("2001:db8:ffff:1::/64");
    expect(prefixOf("2001:db8:1:2:3:4:5:6/48")).toBe("2001:db8:1::/48");
    expect(normalize("2001:DB8:0::0:1/128")).toBe("2001:db8::1/128");
  });
});

describe("run config (the keys beside the topology)", () => {
  it("defaults the convergence bound and accepts 0 to 600 s", async () => {
    const { runConfig } = await import("../../src/model");
    expect(runConfig(() => undefined, ["vteps"]).convergeTimeoutSeconds).toBe(90);
    expect(runConfig((k) => (k === "convergeTimeout" ? "0" : undefined), ["convergeTimeout"])).toEqual({
      convergeTimeoutSeconds: 0,
      problems: [],
    });
  });
  it("rejects a bad bound and unknown keys, naming what is valid", async () => {
    const { runConfig } = await import("../../src/model");
    const r = runConfig((k) => (k === "convergeTimeout" ? "soon" : undefined), ["vtep", "convergeTimeout"]);
    expect(r.problems).toEqual([
      'unknown config key "vtep"; valid keys: variant, vteps, routers, hostsPerVtep, placement, mtu, bfdInterval, engines, enginePlacement, convergeTimeout',
      'convergeTimeout must be an integer from 0 to 600 (seconds; 0 checks once without waiting), got "soon"',
    ]);
    expect(runConfig((k) => (k === "convergeTimeout" ? "601" : undefined), []).problems).toHaveLength(1);
  });
});
