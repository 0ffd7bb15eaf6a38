import { describe, expect, it } from "vitest";
import {
  daemonsFile,
  enabledDaemons,
  frrConfig,
  inPrefix,
  resolveTopology,
  VARIANTS,
  type Topology,
} from "../../src/model";
import { bgpConfig, routerBgpConfig, vtepBgpConfig, vtepListenRange } from "../../src/model/bgp";

const lab = (variant: string, extra = {}): Topology => resolveTopology({ stack: "lab", variant, ...extra });
const evpn = lab("evpn");

describe("BGP EVPN config", () => {
  it("makes R1 a route reflector for dynamic neighbours from the VTEP loopback range, with multihop BFD", () => {
    expect(routerBgpConfig(evpn, "R1")).toEqual([
      "router bgp 65000",
      " bgp router-id 10.0.255.1",
      " no bgp default ipv4-unicast",
      " bgp log-neighbor-changes",
      " neighbor VTEPS peer-group",
      " neighbor VTEPS remote-as internal",
      " bgp listen range 2001:db8::/41 peer-group VTEPS",
      " neighbor VTEPS bfd profile reflectors",
      " !",
      " address-family l2vpn evpn",
      "  neighbor VTEPS activate",
      "  neighbor VTEPS route-reflector-client",
      " exit-address-family",
      "exit",
      "!",
    ]);
  });

  it("peers S2 from its loopback with every router (BFD, retried every 2 s), advertising all VNIs", () => {
    expect(vtepBgpConfig(evpn, "S2")).toEqual([
      "router bgp 65000",
      " bgp router-id 10.0.1.2",
      " no bgp default ipv4-unicast",
      " bgp log-neighbor-changes",
      " neighbor RR peer-group",
      " neighbor RR remote-as internal",
      " neighbor RR update-source 2001:db8:2::1",
      " neighbor RR timers connect 2",
      " neighbor RR bfd profile reflectors",
      " neighbor 2001:db8:ffff::1 peer-group RR",
      " neighbor 2001:db8:ffff::2 peer-group RR",
      " !",
      " address-family l2vpn evpn",
      "  neighbor RR activate",
      "  advertise-all-vni",
      " exit-address-family",
      "exit",
      "!",
    ]);
  });

  it("listens on a range holding every possible VTEP loopback and no router loopback", () => {
    const big = lab("evpn", { vteps: 64, routers: 4, hostsPerVtep: 1 });
    const range = vtepListenRange();
    for (const n of big.nodes.filter((x) => x.kind === "vtep")) {
      expect(inPrefix(n.loopback ?? "", range), n.name).toBe(true);
    }
    for (const n of big.nodes.filter((x) => x.kind === "router")) {
      expect(inPrefix(n.loopback ?? "", range), n.name).toBe(false);
    }
    // Adding VTEPs changes nothing in a router's BGP (only its underlay links).
    expect(routerBgpConfig(lab("evpn", { vteps: 5 }), "R2")).toEqual(
      routerBgpConfig(lab("evpn", { vteps: 2 }), "R2"),
    );
  });

  it("follows the number of routers on the VTEPs", () => {
    const conf = vtepBgpConfig(lab("evpn", { routers: 4 }), "S1");
    expect(conf.filter((l) => l.endsWith(" peer-group RR"))).toEqual([
      " neighbor 2001:db8:ffff::1 peer-group RR",
      " neighbor 2001:db8:ffff::2 peer-group RR",
      " neighbor 2001:db8:ffff::3 peer-group RR",
      " neighbor 2001:db8:ffff::4 peer-group RR",
    ]);
  });

  it("refuses nodes that run no BGP", () => {
    expect(() => bgpConfig(evpn, "H1")).toThrow(/H1 is a host, not a VTEP/);
    expect(() => routerBgpConfig(evpn, "S1")).toThrow(/S1 is a vtep, not a router/);
  });
});

describe("frr.conf and daemons in the evpn variant", () => {
  it("appends the BGP section after the underlay, before end", () => {
    const conf = frrConfig(evpn, "S1");
    expect(conf).toContain("router ospf6\n");
    expect(conf.indexOf("router ospf6")).toBeLessThan(conf.indexOf("router bgp 65000"));
    expect(conf.endsWith("exit\n!\nend\n")).toBe(true);
    expect(frrConfig(evpn, "R2")).toContain(" bgp router-id 10.0.255.2\n");
  });

  it("starts bgpd on routers and VTEPs of evpn only", () => {
    expect(enabledDaemons(evpn)).toContain("bgpd");
    expect(enabledDaemons(evpn)).toEqual(expect.arrayContaining(["bgpd", "ospf6d"]));
    expect(daemonsFile(evpn, "S3")).toContain("\nbgpd=yes\n");
    for (const v of VARIANTS.filter((x) => x !== "evpn")) {
      expect(daemonsFile(lab(v), "R1")).toContain("\nbgpd=no\n");
      expect(frrConfig(lab(v), "S1")).not.toContain("router bgp");
    }
  });
});
