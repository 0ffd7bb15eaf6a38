import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/agent/config";

const good = {
  vtep: "2001:DB8:1:0::1",
  vni: 100,
  device: "vxlan100",
  bridge: "br100",
  registry: "http://[2001:db8:fffe::2]:2379",
  mode: "l2",
  leaseTtl: 10,
  pollMs: 1000,
  statusFile: "/run/vxlan-agent/status.json",
  prefix: "/vxlan-lab/100/",
};
const text = (o: object) => JSON.stringify(o);

function problems(o: object | string): string[] {
  try {
    parseConfig(typeof o === "string" ? o : text(o));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("agent config", () => {
  it("accepts the documented config and normalises the vtep and registry", () => {
    const c = parseConfig(text(good));
    expect(c.vtep).toBe("2001:db8:1::1");
    expect(c.registry).toBe("http://[2001:db8:fffe::2]:2379");
    expect(c).toMatchObject({ vni: 100, device: "vxlan100", bridge: "br100", mode: "l2", leaseTtl: 10 });
    expect(parseConfig(text({ ...good, mode: "nd", registry: "http://[::1]:2379/" })).mode).toBe("nd");
  });

  it("names every missing field at once", () => {
    const p = problems({});
    for (const f of [
      "vtep",
      "vni",
      "device",
      "bridge",
      "registry",
      "mode",
      "leaseTtl",
      "pollMs",
      "statusFile",
      "prefix",
    ]) {
      expect(p.some((x) => x.startsWith(`${f}: missing`))).toBe(true);
    }
    expect(p).toHaveLength(10);
  });

  it("names bad values with what was expected and what came", () => {
    const p = problems({
      ...good,
      vtep: "10.0.0.1",
      vni: 16777216,
      device: "vxlan 100; rm -rf /",
      registry: "ftp://x",
      mode: "l3",
      leaseTtl: 1.5,
      pollMs: "1000",
      statusFile: "status.json",
      prefix: "/vxlan-lab/100",
      extra: true,
    });
    expect(p).toContain('vtep: expected an IPv6 address, got "10.0.0.1"');
    expect(p.find((x) => x.startsWith("vni:"))).toMatch(/from 1 to 16777215, got 16777216/);
    expect(p.find((x) => x.startsWith("device:"))).toMatch(/interface name/);
    expect(p.find((x) => x.startsWith("registry:"))).toMatch(/http\(s\) base URL/);
    expect(p.find((x) => x.startsWith("mode:"))).toMatch(/"l2" or "nd", got "l3"/);
    expect(p.find((x) => x.startsWith("leaseTtl:"))).toMatch(/got 1.5/);
    expect(p.find((x) => x.startsWith("pollMs:"))).toMatch(/got "1000"/);
    expect(p.find((x) => x.startsWith("statusFile:"))).toMatch(/absolute/);
    expect(p.find((x) => x.startsWith("prefix:"))).toMatch(/ending in "\/"/);
    expect(p.find((x) => x.startsWith("extra:"))).toMatch(/unknown field/);
    expect(p).toHaveLength(10);
  });

  it("rejects non-JSON, non-objects and a device equal to the bridge", () => {
    expect(problems("{vtep:")[0]).toMatch(/^not JSON/);
    expect(problems("[1]")).toEqual(["expected a JSON object"]);
    expect(problems({ ...good, bridge: "vxlan100" })).toEqual(["bridge: must differ from device"]);
    expect(() => parseConfig("{}")).toThrow(/invalid agent config \(10 problems\)/);
  });
});
