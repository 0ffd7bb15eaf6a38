/** The variants' commands as data: what each puts on a VTEP, for the default topology. */
import { describe, expect, it } from "vitest";
import { resolveTopology, VARIANTS } from "../../src/model";
import { variantFor } from "../../variants";
import { solicitedNodeMac } from "../../variants/unicast-static-nd";

const lab = (variant: string, extra = {}) => resolveTopology({ stack: "t", variant, ...extra });
const vxlanLine = (cmds: string[]) => cmds.find((c) => c.includes("type vxlan")) ?? "";

describe("variants", () => {
  it("implements every variant", () => {
    for (const v of VARIANTS) expect(variantFor(v)?.name).toBe(v);
  });

  it("builds the seed's VXLAN device: VNI 100, port 4789, TTL 5, sourced from the loopback", () => {
    const t = lab("unicast-static-default");
    const s2 = variantFor("unicast-static-default")!.commands(t).S2!;
    expect(vxlanLine(s2)).toBe(
      "ip link add vxlan100 type vxlan id 100 dstport 4789 local 2001:db8:2::1 ttl 5",
    );
    expect(s2).toContain("ip -6 addr flush dev h2 && ip link set h2 master br100");
    expect(s2).toContain("ip -6 addr flush dev h3 && ip link set h3 master br100");
    expect(s2.filter((c) => c.includes("fdb append 00:00:00:00:00:00"))).toEqual([
      "bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst 2001:db8:1::1",
      "bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst 2001:db8:3::1",
    ]);
  });

  it("scales flood entries with N: N-1 per VTEP, and amplification N-1", () => {
    const t = lab("unicast-static-l2", { vteps: 8, hostsPerVtep: 1 });
    const v = variantFor("unicast-static-l2")!;
    const s1 = v.commands(t).S1!;
    expect(s1.filter((c) => c.includes("00:00:00:00:00:00"))).toHaveLength(7);
    expect(s1.filter((c) => / static$/.test(c))).toHaveLength(7);
    expect(vxlanLine(s1)).toMatch(/ nolearning$/);
    expect(v.amplification(t)).toBe(7);
  });

  it("static-nd: no flood entries, proxy, a neighbour entry per remote host", () => {
    const t = lab("unicast-static-nd");
    const s1 = variantFor("unicast-static-nd")!.commands(t).S1!;
    expect(s1.some((c) => c.includes("00:00:00:00:00:00"))).toBe(false);
    expect(vxlanLine(s1)).toMatch(/ nolearning proxy$/);
    expect(s1.filter((c) => c.startsWith("ip -6 neigh replace"))).toEqual([
      "ip -6 neigh replace 2001:db8:ff::11 lladdr 50:54:33:00:00:09 dev vxlan100 nud permanent",
      "ip -6 neigh replace 2001:db8:ff::12 lladdr 50:54:33:00:00:0a dev vxlan100 nud permanent",
      "ip -6 neigh replace 2001:db8:ff::13 lladdr 50:54:33:00:00:0b dev vxlan100 nud permanent",
    ]);
    expect(solicitedNodeMac("2001:db8:ff::13")).toBe("33:33:ff:00:00:13");
    expect(solicitedNodeMac("2001:db8::12:3456")).toBe("33:33:ff:12:34:56");
  });

  it("rsc: hosts route via absent gateways; each VTEP flags only its own hosts' gateway MAC", () => {
    const t = lab("unicast-static-rsc");
    const cmds = variantFor("unicast-static-rsc")!.commands(t);
    expect(cmds.H1).toEqual([
      "ip -6 neigh replace 2001:db8:ff::1 lladdr 02:00:00:00:00:01 dev eth0 nud permanent",
      "ip -6 route replace default via 2001:db8:ff::1 dev eth0",
    ]);
    expect(cmds.H4?.[1]).toBe("ip -6 route replace default via 2001:db8:fe::1 dev eth0");
    const routerEntries = (v: string) => cmds[v]!.filter((c) => c.endsWith(" router"));
    expect(routerEntries("S1")).toEqual([
      "bridge fdb add 02:00:00:00:00:01 dev vxlan100 dst 2001:db8:ffff::1 router",
    ]);
    expect(routerEntries("S3")).toEqual([
      "bridge fdb add 02:00:00:00:00:02 dev vxlan100 dst 2001:db8:ffff::1 router",
    ]);
    expect(vxlanLine(cmds.S1!)).toMatch(/ rsc$/);
  });

  it("multicast: a veth pair holds the source address; group ff35::100 joined on its vxs side, sourced from vxsp's address", () => {
    const t = lab("multicast");
    const s3 = variantFor("multicast")!.commands(t).S3!;
    expect(s3.slice(0, 4)).toEqual([
      "ip link del vxs 2>/dev/null || true",
      "ip link add vxs mtu 9000 type veth peer name vxsp mtu 9000",
      "ip -6 addr add 2001:db8:3::5/128 dev vxsp nodad",
      "ip link set vxsp up && ip link set vxs up",
    ]);
    // Static (S,G) state for the other two VTEPs' sources, once pim6d has a VIF for vxsp.
    expect(s3[4]).toContain(`'show ipv6 multicast count json' | jq -e '.vxsp.vif >= 0'`);
    expect(s3[5]).toBe(
      "vtysh -c 'configure terminal' -c 'interface vxsp' -c 'ipv6 mld static-group ff35::100 2001:db8:1::5' -c 'ipv6 mld static-group ff35::100 2001:db8:2::5' -c 'end'",
    );
    expect(vxlanLine(s3)).toBe(
      "ip link add vxlan100 type vxlan id 100 dstport 4789 local 2001:db8:3::5 ttl 5 group ff35::100 dev vxs",
    );
    expect(variantFor("multicast")!.amplification(t)).toBe(1);
  });

  it("keeps the VTEP silent in the overlay and starts from a clean slate", () => {
    const s1 = variantFor("unicast-static-default")!.commands(lab("unicast-static-default")).S1!;
    expect(s1[0]).toBe("ip link del vxlan100 2>/dev/null || true");
    expect(s1.find((c) => c.includes("vtep_silent") && c.includes("nft -f"))).toContain(
      'oifname { "br100", "vxlan100", "h1" } drop',
    );
  });
});
