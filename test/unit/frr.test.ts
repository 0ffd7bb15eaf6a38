import { describe, expect, it } from "vitest";
import {
  VARIANTS,
  daemonsFile,
  enabledDaemons,
  frrConfig,
  resolveTopology,
  type Topology,
} from "../../src/model";

const lab = (variant: string, extra = {}): Topology => resolveTopology({ stack: "lab", variant, ...extra });
const multicast = lab("multicast");
const unicast = lab("unicast-static-default");

/** The lines of the "interface NAME" stanza, without the header and closing lines. */
function stanza(conf: string, header: string): string[] {
  const lines = conf.split("\n");
  const start = lines.indexOf(header);
  if (start < 0) throw new Error(`no "${header}" in config`);
  const end = lines.indexOf("exit", start);
  return lines.slice(start + 1, end);
}

describe("frr.conf", () => {
  it("starts with the datacenter profile, hostname and integrated config", () => {
    const lines = frrConfig(unicast, "S1").split("\n");
    expect(lines.slice(0, 3)).toEqual([
      "frr defaults datacenter",
      "hostname S1",
      "service integrated-vtysh-config",
    ]);
    expect(frrConfig(unicast, "S1")).not.toContain("ipv6 forwarding");
    expect(frrConfig(unicast, "S1").endsWith("end\n")).toBe(true);
  });

  it("advertises S1's loopback as a passive /128 in area 0", () => {
    expect(stanza(frrConfig(unicast, "S1"), "interface lo")).toEqual([
      " ipv6 address 2001:db8:1::1/128",
      " ipv6 ospf6 area 0",
      " ipv6 ospf6 passive",
    ]);
  });

  it("runs point-to-point OSPFv3 with fast timers on r1 and r2 of S1", () => {
    const conf = frrConfig(unicast, "S1");
    expect(stanza(conf, "interface r1")).toEqual([
      " ipv6 address 2001:db8:ffff:1::2/64",
      " ipv6 ospf6 area 0",
      " ipv6 ospf6 network point-to-point",
      " ipv6 ospf6 hello-interval 1",
      " ipv6 ospf6 dead-interval 3",
      " ipv6 ospf6 retransmit-interval 1",
      " ipv6 ospf6 bfd profile underlay",
    ]);
    expect(stanza(conf, "interface r2")).toContain(" ipv6 address 2001:db8:ffff:2::2/64");
    expect(stanza(conf, "interface r2")).toContain(" ipv6 ospf6 network point-to-point");
  });

  it("leaves access ports out of OSPF", () => {
    const conf = frrConfig(unicast, "S2");
    expect(conf).not.toMatch(/^interface h\d/m);
    expect(conf.match(/^interface /gm)).toHaveLength(3); // lo, r1, r2
  });

  it("sets the router ID, SPF throttle and an LSA minimum arrival of 0", () => {
    expect(stanza(frrConfig(unicast, "S1"), "router ospf6")).toEqual([
      " ospf6 router-id 10.0.1.1",
      " timers throttle spf 0 50 500",
      " timers lsa min-arrival 0",
    ]);
    expect(frrConfig(unicast, "R2")).toContain(" ospf6 router-id 10.0.255.2\n");
  });

  it("configures a router's interfaces towards every VTEP", () => {
    const conf = frrConfig(unicast, "R1");
    expect(conf).toContain("hostname R1\n");
    expect(stanza(conf, "interface lo")[0]).toBe(" ipv6 address 2001:db8:ffff::1/128");
    expect(stanza(conf, "interface s3")[0]).toBe(" ipv6 address 2001:db8:ffff:5::1/64");
  });

  it("has no PIM or MLD outside the multicast variant", () => {
    for (const variant of VARIANTS.filter((v) => v !== "multicast")) {
      for (const node of ["R1", "S1"]) {
        const conf = frrConfig(lab(variant), node);
        expect(conf).not.toMatch(/pim|mld/);
      }
    }
  });

  it("runs PIM on every underlay link of routers and VTEPs in the multicast variant, with no RP (SSM)", () => {
    for (const node of ["R1", "R2"]) {
      const conf = frrConfig(multicast, node);
      for (const iface of ["s1", "s2", "s3"])
        expect(stanza(conf, `interface ${iface}`)).toContain(" ipv6 pim");
      expect(conf).not.toMatch(/router pim6|rp /);
    }
    const s1 = frrConfig(multicast, "S1");
    for (const iface of ["r1", "r2"]) expect(stanza(s1, `interface ${iface}`)).toContain(" ipv6 pim");
    expect(frrConfig(unicast, "R1")).not.toMatch(/pim|mld/);
  });

  it("runs PIM and MLD on each VTEP's vxsp and announces it in OSPF; static groups come later, from the commands", () => {
    expect(stanza(frrConfig(multicast, "S1"), "interface vxsp")).toEqual([
      " ipv6 ospf6 area 0",
      " ipv6 ospf6 passive",
      " ipv6 pim",
      " ipv6 mld",
    ]);
  });

  it("runs BFD on every underlay link, and not on the registry's service links", () => {
    for (const variant of VARIANTS) {
      const t = lab(variant);
      for (const node of t.nodes.filter((n) => n.kind === "router" || n.kind === "vtep")) {
        const conf = frrConfig(t, node.name);
        expect(stanza(conf, " profile underlay").slice(0, 4)).toEqual([
          "  detect-multiplier 3",
          "  receive-interval 100",
          "  transmit-interval 100",
          " exit",
        ]);
        const underlay = node.interfaces.filter(
          (i) => t.links.find((l) => l.name === i.link)?.kind === "underlay",
        );
        expect(underlay.length).toBeGreaterThan(0);
        for (const i of underlay)
          expect(stanza(conf, `interface ${i.name}`)).toContain(" ipv6 ospf6 bfd profile underlay");
        const bfdIfaces = conf.split("interface ").filter((s) => s.includes("ipv6 ospf6 bfd"));
        expect(bfdIfaces).toHaveLength(underlay.length);
      }
    }
  });

  it("BFD timers: 100 ms x 3 up to 16 VTEPs, 300 ms x 3 above, unless bfdInterval says otherwise", () => {
    const profile = (t: ReturnType<typeof lab>) =>
      stanza(frrConfig(t, "R1"), " profile underlay").slice(0, 3);
    const timers = (ms: number) => [
      "  detect-multiplier 3",
      `  receive-interval ${ms}`,
      `  transmit-interval ${ms}`,
    ];
    expect(profile(lab("unicast-static-default", { vteps: 3 }))).toEqual(timers(100));
    expect(profile(lab("unicast-static-default", { vteps: 16 }))).toEqual(timers(100));
    expect(profile(lab("unicast-static-default", { vteps: 17 }))).toEqual(timers(300));
    expect(profile(lab("unicast-static-default", { vteps: 32 }))).toEqual(timers(300));
    expect(profile(lab("unicast-static-default", { vteps: 3, bfdInterval: 100 }))).toEqual(timers(100));
    expect(profile(lab("unicast-static-default", { vteps: 32, bfdInterval: 150 }))).toEqual(timers(150));
  });

  it("evpn: a reflectors profile over twice the underlay's detection time, for the multihop iBGP sessions", () => {
    const conf = frrConfig(lab("evpn"), "S1");
    expect(stanza(conf, " profile reflectors")).toEqual([
      "  detect-multiplier 7",
      "  receive-interval 100",
      "  transmit-interval 100",
      " exit",
    ]);
    expect(frrConfig(unicast, "S1")).not.toContain("profile reflectors");
  });

  it("refuses hosts and unknown nodes", () => {
    expect(() => frrConfig(unicast, "H1")).toThrow(/H1 is a host/);
    expect(() => frrConfig(unicast, "S9")).toThrow(/no node named "S9"; nodes are R1, R2, S1/);
    expect(() => daemonsFile(unicast, "H2")).toThrow(/host/);
  });

  it("follows the topology size", () => {
    const big = lab("multicast", { vteps: 10, routers: 4 });
    const conf = frrConfig(big, "S10");
    expect(conf.match(/^interface r\d$/gm)).toEqual([
      "interface r1",
      "interface r2",
      "interface r3",
      "interface r4",
    ]);
    expect(conf).toContain(" ipv6 address 2001:db8:a::1/128");
    expect(conf).toContain(" ospf6 router-id 10.0.1.10");
  });
});

describe("daemons file", () => {
  const flags = (file: string): Record<string, string> =>
    Object.fromEntries(
      file
        .split("\n")
        .map((l) => /^([a-z0-9]+)=(yes|no)$/.exec(l))
        .flatMap((m) => (m?.[1] && m[2] ? [[m[1], m[2]]] : [])),
    );

  it("enables zebra, staticd, ospf6d and bfdd everywhere, pim6d on every FRR node of multicast only", () => {
    const m = flags(daemonsFile(multicast, "R1"));
    expect(m).toMatchObject({ zebra: "yes", staticd: "yes", ospf6d: "yes", bfdd: "yes", pim6d: "yes" });
    const u = flags(daemonsFile(unicast, "S1"));
    expect(u).toMatchObject({ zebra: "yes", staticd: "yes", ospf6d: "yes", bfdd: "yes", pim6d: "no" });
    expect(flags(daemonsFile(lab("evpn"), "R1"))).toMatchObject({ bgpd: "yes", bfdd: "yes" });
    expect(enabledDaemons(multicast)).toContain("pim6d");
    expect(flags(daemonsFile(multicast, "S1")).pim6d).toBe("yes");
    expect(enabledDaemons(unicast)).not.toContain("pim6d");
  });

  it("disables every other daemon", () => {
    const on = Object.entries(flags(daemonsFile(multicast, "R2")))
      .filter(([, v]) => v === "yes")
      .map(([k]) => k)
      .sort();
    expect(on).toEqual(["bfdd", "mgmtd", "ospf6d", "pim6d", "staticd", "zebra"]);
    expect(flags(daemonsFile(unicast, "S2"))).toMatchObject({
      bgpd: "no",
      ospfd: "no",
      pimd: "no",
      isisd: "no",
    });
  });

  it("keeps vtysh and the daemon listen options", () => {
    const file = daemonsFile(unicast, "R1");
    for (const line of [
      "vtysh_enable=yes",
      'zebra_options="  -A 127.0.0.1 -s 90000000"',
      'ospf6d_options=" -A ::1"',
      'frr_profile="datacenter"',
    ]) {
      expect(file.split("\n")).toContain(line);
    }
    expect(file).toMatch(/^pim6d_options=" +-A ::1"$/m);
  });
});
