import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { resolveTopology } from "../../src/model";
import { findChromium } from "../../src/bootstrap/browser";
import { agentEvent, agentView } from "../../src/ui/agents";
import { FrameSplitter, parseSection, readerArgv, vtepSections, READER_TAG } from "../../src/ui/frames";
import { allowedHost, labInfo } from "../../src/ui/server";
import { linkLocalOf, namesOf, uplinksOf, vtepView } from "../../src/ui/state";

const t = resolveTopology({ stack: "u", variant: "unicast-static-default" });
const names = namesOf(t);
const [h1, h2, , h4] = t.hosts;

describe("reader frames", () => {
  it("splits a stream into frames of named sections, across chunk boundaries and multi-line JSON", () => {
    const frames: Record<string, string>[] = [];
    const s = new FrameSplitter((f) => frames.push(f));
    const text = '@fdb\n[{"mac":"a"}]\n@evpn\n{\n  "macs": {}\n}\n@end\n@fdb\n[]\n@end\n';
    for (let i = 0; i < text.length; i += 7) s.push(text.slice(i, i + 7));
    expect(frames).toHaveLength(2);
    expect(JSON.parse(frames[0]!.fdb!)).toEqual([{ mac: "a" }]);
    expect(JSON.parse(frames[0]!.evpn!)).toEqual({ macs: {} });
    expect(frames[1]).toEqual({ fdb: "[]\n" });
  });

  it("reports a section that is not JSON as the error it printed", () => {
    expect(parseSection('Cannot find device "vxlan100"\n')).toEqual({
      error: 'Cannot find device "vxlan100"',
    });
    expect(parseSection("")).toEqual({ value: [] });
    expect(parseSection(undefined)).toEqual({ error: "not read" });
  });

  it("asks FRR for its EVPN MACs only in the evpn variant", () => {
    const names = (v: string) => vtepSections(resolveTopology({ stack: "u", variant: v })).map((s) => s.name);
    expect(names("unicast-static-default")).toEqual(["fdb", "neigh", "links"]);
    expect(names("evpn")).toEqual(["fdb", "neigh", "links", "svi", "evpn"]);
  });

  it("runs a frame loop that prints one frame per tick and exits when its stdin closes", async () => {
    const argv = readerArgv(
      [
        { name: "a", command: "echo '[1]'" },
        { name: "b", command: "echo oops >&2; false" },
      ],
      50,
    );
    expect(argv[3]).toBe(READER_TAG);
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
    const frames: Record<string, string>[] = [];
    const s = new FrameSplitter((f) => frames.push(f));
    child.stdout.on("data", (d: Buffer) => s.push(d.toString()));
    while (frames.length < 3) await new Promise((r) => setTimeout(r, 20));
    child.stdin.end();
    const code = await new Promise((r) => child.on("exit", r));
    expect(code).toBe(0);
    expect(frames[0]).toEqual({ a: "[1]\n", b: "oops\n" });
  });
});

describe("a VTEP's view", () => {
  const fdb = [
    { mac: h2!.mac, flags: [], master: "br100", state: "" },
    { mac: "00:00:00:00:00:00", dst: "2001:db8:3::1", flags: ["self"], state: "permanent" },
    { mac: h4!.mac, dst: "2001:db8:3::1", flags: ["self"], state: "" },
    { mac: h2!.mac, dst: "2001:db8:2::1", flags: ["self"], state: "" },
  ];
  const links = [
    {
      ifname: "vxlan100",
      stats64: { rx: { packets: 5, bytes: 500 }, tx: { packets: 7, bytes: 700, dropped: 1 } },
    },
    { ifname: "r1", stats64: { rx: { packets: 50 }, tx: { packets: 60 } } },
    { ifname: "h1", stats64: { rx: { packets: 1 }, tx: { packets: 1 } } },
  ];
  const view = vtepView(
    t,
    names,
    "S1",
    {
      fdb: JSON.stringify(fdb),
      neigh: JSON.stringify([{ dst: "2001:db8:ff::13", lladdr: h4!.mac, state: ["PERMANENT"], proxy: null }]),
      links: JSON.stringify(links),
    },
    1000,
  );

  it("names each entry's host and destination VTEP, the VXLAN device's own entries first", () => {
    expect(view.fdb.map((r) => [r.table, r.mac, r.host, r.vtep, r.state])).toEqual([
      ["vxlan", "00:00:00:00:00:00", "flood (BUM)", "S3", "permanent"],
      ["vxlan", h2!.mac, "H2", "S2", "dynamic"],
      ["vxlan", h4!.mac, "H4", "S3", "dynamic"],
      ["bridge", h2!.mac, "H2", undefined, "dynamic"],
    ]);
    expect(view.neigh).toEqual([
      { ip: "2001:db8:ff::13", host: "H4", lladdr: h4!.mac, state: ["PERMANENT"], flags: ["proxy"] },
    ]);
    expect(view.errors).toEqual({});
  });

  it("names a host's link-local address too (EUI-64 from its MAC), as the kernel prints it", () => {
    expect(linkLocalOf("50:54:33:00:00:08")).toBe("fe80::5254:33ff:fe00:8");
    expect(names.hostByIp.get("fe80::5254:33ff:fe00:8")).toBe("H1");
  });

  it("counts the VXLAN device and the uplinks, not the access ports", () => {
    expect(view.vxlan).toMatchObject({ rxPackets: 5, txPackets: 7, txDropped: 1, rxBytes: 500 });
    expect(view.uplinks.map((u) => [u.iface, u.peer, u.rxPackets])).toEqual([["r1", "R1", 50]]);
    expect(uplinksOf(t, "S1")).toEqual([
      { iface: "r1", peer: "R1" },
      { iface: "r2", peer: "R2" },
    ]);
  });

  it("says which table did not read, and that the VXLAN device is missing", () => {
    const v = vtepView(t, names, "S1", { fdb: 'Cannot find device "vxlan100"', neigh: "[]", links: "[]" }, 0);
    expect(v.errors).toEqual({ fdb: 'Cannot find device "vxlan100"', links: "no vxlan100 device" });
  });

  it("lists zebra's EVPN MACs with the remote VTEP's name", () => {
    const te = resolveTopology({ stack: "u", variant: "evpn" });
    const evpn = {
      numMacs: 2,
      macs: {
        [h1!.mac]: { type: "local", intf: "h1", localSequence: 0, remoteSequence: 0 },
        [h4!.mac]: { type: "remote", remoteVtep: "2001:db8:3::1", localSequence: 0, remoteSequence: 1 },
      },
    };
    const v = vtepView(
      te,
      namesOf(te),
      "S1",
      { fdb: "[]", neigh: "[]", links: "[]", svi: "[]", evpn: JSON.stringify(evpn) },
      0,
    );
    expect(v.evpn).toEqual([
      { mac: h1!.mac, host: "H1", type: "local", where: "h1", vtep: undefined, seq: "0/0" },
      { mac: h4!.mac, host: "H4", type: "remote", where: "2001:db8:3::1", vtep: "S3", seq: "0/1" },
    ]);
  });
});

describe("agents", () => {
  it("reads the counters of the status file, and says when there is none yet", () => {
    const status = {
      registry: "up",
      misses: { l2: 3, l3: 1 },
      installed: { fdb: 2, neigh: 1, multicast: 0 },
      pid: 7,
    };
    expect(agentView("S1", { status: JSON.stringify(status) }, 5)).toEqual({
      vtep: "S1",
      at: 5,
      registry: "up",
      misses: { l2: 3, l3: 1 },
      installed: { fdb: 2, neigh: 1, multicast: 0 },
    });
    expect(
      agentView("S1", { status: "cat: /run/vxlan-agent/status.json: No such file or directory" }, 5).error,
    ).toMatch(/No such file/);
  });

  it("turns log lines into events: installs, unknown misses, registry changes", () => {
    const ts = "2026-12-02T04:20:00.123456789Z";
    expect(
      agentEvent("S1", `${ts} vxlan-agent: l2 miss 50:54:33:00:00:0b -> 2001:db8:3::1: installed`),
    ).toEqual({
      vtep: "S1",
      at: "2026-12-02T04:20:00.123Z",
      kind: "install",
      text: "l2 miss 50:54:33:00:00:0b -> 2001:db8:3::1: installed",
    });
    expect(agentEvent("S1", `${ts} vxlan-agent: l3 miss 2001:db8:ff::99: unknown, ignored`)?.kind).toBe(
      "unknown",
    );
    expect(agentEvent("S1", `${ts} vxlan-agent: registry up`)?.kind).toBe("registry");
    expect(agentEvent("S1", `${ts} agent exited with 143; restarting in 1 s`)?.kind).toBe("error");
    expect(agentEvent("S1", "no timestamp here")).toBeUndefined();
  });
});

describe("server", () => {
  it("answers only to 127.0.0.1 or localhost on its own port (no DNS rebinding)", () => {
    expect(allowedHost("127.0.0.1:8157", 8157)).toBe(true);
    expect(allowedHost("localhost:8157", 8157)).toBe(true);
    expect(allowedHost("evil.example:8157", 8157)).toBe(false);
    expect(allowedHost("127.0.0.1:80", 8157)).toBe(false);
    expect(allowedHost(undefined, 8157)).toBe(false);
  });

  it("tells the page every VTEP with its loopback, uplinks and hosts", () => {
    const info = labInfo(t, 300);
    expect(info.vteps.map((v) => [v.name, v.loopback, v.hosts])).toEqual([
      ["S1", "2001:db8:1::1", ["H1"]],
      ["S2", "2001:db8:2::1", ["H2", "H3"]],
      ["S3", "2001:db8:3::1", ["H4"]],
    ]);
    expect(info.agents).toEqual({});
  });
});

describe("test browser", () => {
  it("takes CHROMIUM_PATH before looking on PATH, and finds nothing on an empty PATH", () => {
    expect(findChromium({ CHROMIUM_PATH: "/opt/chrome/chrome" })).toBe("/opt/chrome/chrome");
    expect(findChromium({}, "/nonexistent")).toBeUndefined();
  });
});
