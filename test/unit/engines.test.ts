import { describe, expect, it } from "vitest";
import {
  DEFAULT_ENGINE,
  TUNNEL_OVERHEAD,
  TopologyError,
  nodeTarget,
  resolveTopology,
  specFromConfig,
  tunnelVni,
  type LabSpec,
  type Topology,
} from "../../src/model";

const two = {
  a: { endpoint: "unix:///var/run/docker.sock", address: "fd00:e::1", mtu: 9000 },
  b: { endpoint: "unix:///run/vxlan-lab-engine2.sock", address: "fd00:e::2", mtu: 9000 },
};

function problemsOf(spec: LabSpec): string[] {
  try {
    resolveTopology(spec);
  } catch (e) {
    if (e instanceof TopologyError) return [...e.problems];
    throw e;
  }
  throw new Error("resolveTopology accepted the spec");
}

const engineMap = (t: Topology) => Object.fromEntries(t.nodes.map((n) => [n.name, n.engine]));

describe("engines: where nodes go", () => {
  it("without engines every node is on the default engine and no link is a tunnel", () => {
    const t = resolveTopology({ stack: "multicast", variant: "multicast" });
    expect(t.engines.map((e) => e.name)).toEqual([DEFAULT_ENGINE]);
    expect(new Set(t.nodes.map((n) => n.engine))).toEqual(new Set([DEFAULT_ENGINE]));
    expect(t.links.filter((l) => l.tunnel)).toEqual([]);
    expect(t.underlay.mtu).toBe(9000);
    expect(nodeTarget(t, "S1")).toEqual({ container: "vxlab-multicast-s1" });
  });

  it("first (the default rule) keeps every node on the first engine by name, so nothing is tunnelled", () => {
    const t = resolveTopology({ stack: "x", variant: "multicast", engines: { z: two.b, a: two.a } });
    expect(new Set(t.nodes.map((n) => n.engine))).toEqual(new Set(["a"]));
    expect(t.links.some((l) => l.tunnel)).toBe(false);
  });

  it("spread: VTEP i with its hosts and agent on engine i mod E, routers spread, the registry with R1", () => {
    const t = resolveTopology({
      stack: "x",
      variant: "unicast-dynamic-l2",
      engines: two,
      enginePlacement: "spread",
    });
    const m = engineMap(t);
    expect([m.R1, m.R2, m.S1, m.S2, m.S3]).toEqual(["a", "b", "a", "b", "a"]);
    // Seed placement: H1 behind S1, H2 and H3 behind S2, H4 behind S3.
    expect([m.H1, m.H2, m.H3, m.H4]).toEqual(["a", "b", "b", "a"]);
    expect([m["S1-agent"], m["S2-agent"], m.registry]).toEqual(["a", "b", "a"]);
  });

  it("a link between engines becomes a tunnel: each end sends to the other engine's address, one VNI per link", () => {
    const t = resolveTopology({ stack: "x", variant: "multicast", engines: two, enginePlacement: "spread" });
    const tunnelled = t.links.filter((l) => l.tunnel).map((l) => l.name);
    expect(tunnelled.sort()).toEqual(["s1-r2", "s2-r1", "s3-r2"]);
    const s1r2 = t.links.find((l) => l.name === "s1-r2")?.tunnel;
    expect(s1r2).toMatchObject({ aEngine: "a", bEngine: "b", aRemote: "fd00:e::2", bRemote: "fd00:e::1" });
    expect(s1r2?.vni).toBe(tunnelVni("vxlan-lab", "x", "s1-r2"));
    const vnis = t.links.flatMap((l) => (l.tunnel ? [l.tunnel.vni] : []));
    expect(new Set(vnis).size).toBe(vnis.length);
    // Access links stay with their VTEP: no host is ever tunnelled to.
    expect(t.links.filter((l) => l.kind === "access" && l.tunnel)).toEqual([]);
  });

  it("the VNI depends on the stack, so two labs across the same engines do not collide", () => {
    expect(tunnelVni("vxlan-lab", "one", "s1-r2")).not.toBe(tunnelVni("vxlan-lab", "two", "s1-r2"));
    const v = tunnelVni("vxlan-lab", "one", "s1-r2");
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThan(2 ** 24);
  });

  it("explicit placement: named nodes go where named, hosts follow their VTEP, the rest to the first engine", () => {
    const t = resolveTopology({
      stack: "x",
      variant: "unicast-static-default",
      engines: two,
      enginePlacement: { S3: "b", H4: "a", R2: "b" },
    });
    const m = engineMap(t);
    expect([m.R1, m.R2, m.S1, m.S2, m.S3, m.H1, m.H2, m.H4]).toEqual([
      "a",
      "b",
      "a",
      "a",
      "b",
      "a",
      "a",
      "a",
    ]);
    expect(t.links.find((l) => l.name === "s3-h4")?.tunnel).toMatchObject({ aEngine: "b", bEngine: "a" });
    expect(nodeTarget(t, "S3")).toEqual({
      container: "vxlab-x-s3",
      engine: { endpoint: "unix:///run/vxlan-lab-engine2.sock" },
    });
  });

  it("the underlay MTU follows what the tunnels carry when the user chose none; the overlay follows it", () => {
    const narrow = { a: { ...two.a, mtu: 1500 }, b: { ...two.b, mtu: 1500 } };
    const t = resolveTopology({
      stack: "x",
      variant: "multicast",
      engines: narrow,
      enginePlacement: "spread",
    });
    expect(t.underlay.mtu).toBe(1500 - TUNNEL_OVERHEAD[6]);
    expect(new Set(t.links.filter((l) => l.kind === "underlay").map((l) => l.mtu))).toEqual(new Set([1430]));
    expect(t.overlay.mtu).toBe(1430 - 70);
    // IPv4 engine hosts: 20 bytes less of outer header.
    const v4 = { a: { endpoint: "tcp://192.0.2.1:2375" }, b: { endpoint: "tcp://192.0.2.2:2375" } };
    const t4 = resolveTopology({ stack: "x", variant: "multicast", engines: v4, enginePlacement: "spread" });
    expect(t4.underlay.mtu).toBe(1450);
    expect(t4.links.find((l) => l.tunnel)?.tunnel?.aRemote).toMatch(/^192\.0\.2\./);
  });
});

describe("engines: bad input names what is wrong and what is valid", () => {
  it("an MTU the tunnels cannot carry", () => {
    const narrow = { a: { ...two.a, mtu: 1500 }, b: { ...two.b, mtu: 1500 } };
    expect(
      problemsOf({ stack: "x", variant: "multicast", engines: narrow, enginePlacement: "spread", mtu: 9000 }),
    ).toEqual([
      "mtu 9000 does not fit through the tunnels between engines, which carry at most 1430 (the engines' mtu less the tunnel's overhead): set mtu to at most 1430, or raise the engines' mtu",
    ]);
  });

  it("engines whose network is too narrow for the lab's smallest underlay MTU", () => {
    const narrow = { a: { ...two.a, mtu: 1400 }, b: { ...two.b, mtu: 1400 } };
    expect(
      problemsOf({ stack: "x", variant: "multicast", engines: narrow, enginePlacement: "spread" }),
    ).toEqual([
      "the tunnels between engines carry at most 1330 bytes (engine mtu less the tunnel's overhead), under the lab's minimum underlay MTU 1350: raise the engines' mtu (the path MTU between their hosts) to at least 1420 (IPv6 engine addresses) or 1400 (IPv4)",
    ]);
  });

  it("endpoints, names, addresses and MTUs of the engines", () => {
    const p = problemsOf({
      stack: "x",
      variant: "multicast",
      engines: {
        good: "unix:///var/run/docker.sock",
        Bad: "unix:///x.sock",
        web: "http://example.com:2375",
        noport: "tcp://example.com",
        nopath: { address: "fd00::1" },
        addr: { endpoint: "ssh://lab@host", address: "fd00::1/64" },
        tiny: { endpoint: "unix:///y.sock", mtu: 1000 },
        tlsunix: { endpoint: "unix:///z.sock", tls: "/certs" },
      },
    });
    expect(p).toEqual([
      'engine "Bad": engine names are 1 to 16 lower-case letters, digits or "-", not starting with "-"',
      'engine "addr": address "fd00::1/64" is not an IPv4 or IPv6 address (no prefix length)',
      'engine "nopath" names no endpoint; valid forms: unix:///path/to/docker.sock, tcp://host:port (TLS when tls names a directory with ca.pem, cert.pem, key.pem) or ssh://user@host[:port]',
      'engine "noport": endpoint "tcp://example.com" names no port (2375 plain, 2376 with TLS by Docker\'s convention); valid forms: unix:///path/to/docker.sock, tcp://host:port (TLS when tls names a directory with ca.pem, cert.pem, key.pem) or ssh://user@host[:port]',
      'engine "tiny": mtu must be an integer from 1280 to 65535 (the path MTU between engine hosts), got 1000',
      'engine "tlsunix": endpoint "unix:///z.sock" is a Unix socket: tls applies to tcp:// only; valid forms: unix:///path/to/docker.sock, tcp://host:port (TLS when tls names a directory with ca.pem, cert.pem, key.pem) or ssh://user@host[:port]',
      'engine "web": endpoint "http://example.com:2375" uses http://, which the lab does not speak; valid forms: unix:///path/to/docker.sock, tcp://host:port (TLS when tls names a directory with ca.pem, cert.pem, key.pem) or ssh://user@host[:port]',
    ]);
  });

  it("an engine holding one end of a tunnel needs an address; an unknown node, engine or rule is refused", () => {
    const noAddr = { a: "unix:///var/run/docker.sock", b: "ssh://lab@engine-b" };
    expect(
      problemsOf({ stack: "x", variant: "multicast", engines: noAddr, enginePlacement: "spread" }),
    ).toEqual(
      ["a", "b"].map(
        (e) =>
          `engine "${e}" holds an end of a link to another engine, so it needs an address: the IP its host is reached at by the other engines' hosts, e.g. {"endpoint": "...", "address": "2001:db8::2"} (taken from the endpoint when that is tcp:// or ssh:// to an IP)`,
      ),
    );
    expect(
      problemsOf({
        stack: "x",
        variant: "unicast-dynamic-nd",
        engines: two,
        enginePlacement: { S9: "a", S1: "c", "S2-agent": "b" },
      }),
    ).toEqual([
      'enginePlacement names node "S9", which the lab does not have; nodes: R1, R2, S1, S2, S3, H1, H2, H3, H4, registry',
      'enginePlacement puts S1 on engine "c"; engines: a, b',
      "enginePlacement cannot place S2-agent: an agent shares its VTEP's network namespace and goes where S2 goes",
    ]);
    expect(
      problemsOf({ stack: "x", variant: "multicast", engines: two, enginePlacement: "round-robin" as never }),
    ).toEqual([
      'enginePlacement must be "first" (every node on the first engine), "spread" (VTEP i with its hosts on engine i mod E, routers spread too) or an object mapping node names to engines, got "round-robin"',
    ]);
  });

  it("engines of mixed address families cannot be tunnelled", () => {
    const mixed = { a: { endpoint: "tcp://192.0.2.1:2375" }, b: { endpoint: "tcp://[2001:db8::2]:2375" } };
    expect(
      problemsOf({ stack: "x", variant: "multicast", engines: mixed, enginePlacement: { S1: "b" } }),
    ).toEqual([
      "link s1-r1 joins engines b (IPv6 2001:db8::2) and a (IPv4 192.0.2.1): a tunnel needs both engine addresses in one family",
      "link s1-r2 joins engines b (IPv6 2001:db8::2) and a (IPv4 192.0.2.1): a tunnel needs both engine addresses in one family",
    ]);
  });

  it("the stack config: engines as Pulumi's JSON text, the rule as a word or JSON", () => {
    const get = (k: string) =>
      ({ engines: JSON.stringify(two), enginePlacement: "spread" })[k as "engines" | "enginePlacement"];
    const spec = specFromConfig("multicast", get);
    expect(spec.engines).toEqual(two);
    expect(spec.enginePlacement).toBe("spread");
    const explicit = specFromConfig("multicast", (k) => (k === "enginePlacement" ? '{"S1":"b"}' : undefined));
    expect(explicit.enginePlacement).toEqual({ S1: "b" });
    expect(() => specFromConfig("multicast", (k) => (k === "engines" ? "unix:///x" : undefined))).toThrow(
      /config key "engines" must be a map of engine names to Docker endpoints/,
    );
  });
});
