import { describe, expect, it } from "vitest";
import { isPublishableIpv6, parseIpv6, parseMac, solicitedNodeMac } from "../../src/agent/addr";
import { parseMissLine } from "../../src/agent/events";
import { LineSplitter } from "../../src/agent/lines";

describe("addresses", () => {
  it("canonicalises IPv6 like the kernel tools print it", () => {
    expect(parseIpv6("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(parseIpv6("2001:db8:0:0:1:0:0:1")).toBe("2001:db8::1:0:0:1"); // first of two equal runs
    expect(parseIpv6("2001:db8:0:1:1:1:1:1")).toBe("2001:db8:0:1:1:1:1:1"); // one zero group stays
    expect(parseIpv6("::")).toBe("::");
    expect(parseIpv6("fe80::")).toBe("fe80::");
    expect(parseIpv6("::ffff:192.0.2.1")).toBe("::ffff:c000:201");
    for (const bad of [
      "",
      "1::2::3",
      "12345::",
      "2001:db8::g",
      "1:2:3:4:5:6:7:8:9",
      "10.0.0.1",
      "fe80::1%eth0",
      "::1.2.3.256",
      "2001:db8::1/64",
    ]) {
      expect(parseIpv6(bad)).toBeUndefined();
    }
  });
  it("accepts MACs only as six octets", () => {
    expect(parseMac("02:00:00:00:00:AB")).toBe("02:00:00:00:00:ab");
    for (const bad of ["zz", "02:00:00:00:00", "02-00-00-00-00-ab", "02:00:00:00:00:abc"])
      expect(parseMac(bad)).toBeUndefined();
  });
  it("derives solicited-node MACs from the low 24 bits", () => {
    expect(solicitedNodeMac("2001:db8:ff::99")).toBe("33:33:ff:00:00:99");
    expect(solicitedNodeMac("2001:db8:ff::1:2345")).toBe("33:33:ff:01:23:45");
    expect(solicitedNodeMac("2001:db8::abcd:ef12")).toBe("33:33:ff:cd:ef:12");
  });
  it("publishes global addresses only", () => {
    expect(isPublishableIpv6("2001:db8:ff::10")).toBe(true);
    for (const no of ["::", "::1", "fe80::1", "febf::1", "ff02::1"])
      expect(isPublishableIpv6(no)).toBe(false);
  });
});

// Lines as `ip monitor neigh` and `ip -ts monitor neigh` printed them on kernel 6.18 / iproute2 6.15.
const recorded = [
  "[2026-11-24T09:36:57.242697] miss 2001:db8:ff::99 dev vxlan100 STALE ",
  "[2026-11-24T09:37:29.607342] miss dev vxlan100 lladdr 02:00:00:00:00:93 STALE ",
  "miss dev vxlan100 lladdr 02:00:00:00:00:98 STALE",
  "[2026-11-24T08:02:41.465303] [NEIGH]miss 2001:db8:ff::99 dev vxlan100 STALE",
  "dev vxlan100 lladdr 02:00:00:00:00:99 REACHABLE",
  "fd00::2 dev vxlan100 lladdr 02:00:00:00:00:99 NOARP PERMANENT",
  "2001:db8:ff::99 dev vxlan100 lladdr 02:00:00:00:00:99 extern_learn PERMANENT",
  "miss dev vxlan101 lladdr 02:00:00:00:00:97 STALE",
  "miss 2001:db8:ff::98 dev vxlan1000 STALE",
  "fe80::1 dev r1 lladdr 52:54:00:00:00:01 router REACHABLE",
  "miss 10.0.0.9 dev vxlan100 STALE",
  "miss dev vxlan100 lladdr zz STALE",
  "Deleted miss dev vxlan100 lladdr 02:00:00:00:00:96 STALE",
  "",
];

describe("miss lines", () => {
  it("keeps only misses on our device, L2 by MAC, L3 by IPv6", () => {
    const events = recorded.map((l) => parseMissLine(l, "vxlan100")).filter((e) => e !== undefined);
    expect(events).toEqual([
      { kind: "l3", ip: "2001:db8:ff::99" },
      { kind: "l2", mac: "02:00:00:00:00:93" },
      { kind: "l2", mac: "02:00:00:00:00:98" },
      { kind: "l3", ip: "2001:db8:ff::99" },
    ]);
  });
  it("reassembles lines split across pipe reads, multi-byte characters included", () => {
    const s = new LineSplitter();
    const bytes = Buffer.from(
      "miss dev vxlan100 lladdr 02:00:00:00:00:98 STALE\né\nmiss 2001:db8:ff::99 dev vx",
    );
    const out: string[] = [];
    for (let i = 0; i < bytes.length; i += 5) out.push(...s.push(bytes.subarray(i, i + 5)));
    out.push(...s.push("lan100 STALE\r\n"), ...s.end());
    expect(out).toEqual([
      "miss dev vxlan100 lladdr 02:00:00:00:00:98 STALE",
      "é",
      "miss 2001:db8:ff::99 dev vxlan100 STALE",
    ]);
  });
  it("drops an over-long line whole instead of growing", () => {
    const s = new LineSplitter(16);
    const out = [...s.push("x".repeat(40)), ...s.push("y".repeat(40)), ...s.push("tail\nok\n")];
    expect(out).toEqual(["ok"]);
  });
});
