import { describe, expect, it } from "vitest";
import { frrConfig, resolveTopology } from "../../src/model";
import { FRR_START, frrFiles, hostEnd, servicePrefixes, writeFile } from "../../src/underlay/commands";
import { missingRoutes } from "../../src/underlay/convergence";

const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });

const decode = (cmd: string) => Buffer.from(/printf %s '([^']*)'/.exec(cmd)![1]!, "base64").toString();

describe("underlay commands", () => {
  it("writes files byte for byte, whatever quotes they contain", () => {
    const cmd = writeFile("/etc/x", "a 'b' \"c\" $HOME\n");
    expect(cmd).toMatch(/\| base64 -d > \/etc\/x$/);
    expect(decode(cmd)).toBe("a 'b' \"c\" $HOME\n");
  });
  it("puts the generated frr.conf and daemons in place, and FRR starts with the container", () => {
    const files = Object.fromEntries(frrFiles(t, "S1").map((f) => [f.path, f.content]));
    expect(files["/etc/frr/frr.conf"]).toBe(frrConfig(t, "S1"));
    expect(files["/etc/frr/daemons"]).toMatch(/^ospf6d=yes$/m);
    expect(FRR_START.join(" ")).toMatch(/frrinit\.sh start; exec sleep infinity$/);
  });
  it("clears FRR's runtime files before FRR starts: a restarted container's pid files name reused PIDs", () => {
    const script = FRR_START[2] ?? "";
    expect(script.indexOf("rm -rf /var/run/frr/*")).toBe(0);
    expect(script.indexOf("rm -rf /var/run/frr/*")).toBeLessThan(script.indexOf("frrinit.sh start"));
  });
  it("gives a host's link end its seed MAC and address", () => {
    expect(hostEnd(t, "H4")).toEqual({ mac: "50:54:33:00:00:0b", addresses: ["2001:db8:ff::13/64"] });
    expect(() => hostEnd(t, "H9")).toThrow(/no host H9/);
  });
  it("asks the VTEPs for a route to the registry's service address in the dynamic variants only", () => {
    expect(servicePrefixes(t)).toEqual([]);
    const d = resolveTopology({ stack: "d", variant: "unicast-dynamic-l2" });
    expect(servicePrefixes(d)).toEqual(["2001:db8:fffe::2"]);
  });
});

describe("convergence, read from the route table", () => {
  const vteps = ["S1", "S2", "S3"].map((n, i) => ({
    node: n,
    container: n,
    loopback: `2001:db8:${i + 1}::1`,
  }));
  const [s1] = vteps;
  it("is reached when every other loopback and service prefix has a route", () => {
    const routes = JSON.stringify([
      { dst: "2001:db8:2::1", protocol: "ospf" },
      { dst: "2001:db8:3::1", protocol: "ospf" },
      { dst: "2001:db8:fffe::2", protocol: "ospf" },
    ]);
    expect(missingRoutes(routes, s1!, vteps, ["2001:db8:fffe::2"])).toEqual([]);
  });
  it("names what is missing, and an unreachable route does not count", () => {
    const routes = JSON.stringify([
      { dst: "2001:db8:2::1", protocol: "ospf" },
      { dst: "2001:db8:3::1", type: "unreachable" },
    ]);
    expect(missingRoutes(routes, s1!, vteps, ["2001:db8:fffe::2"])).toEqual([
      "2001:db8:3::1",
      "2001:db8:fffe::2",
    ]);
  });
});
