/**
 * The evpn checks on JSON recorded from a hand-built lab (FRR 10.7.1: R1, R2,
 * S1..S3, H1 behind S1, H2 and H3 behind S2, H4 behind S3), through a fake
 * CheckContext: a healthy recording passes, a broken one fails and says why.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bestPath,
  evpnFdb,
  evpnRoutes,
  evpnSessions,
  hostMobility,
  imetRoutes,
  macIpRoutes,
  mobilitySeq,
  sviNeighbours,
  unreflected,
  vtepGone,
  zebraVni,
} from "../../src/checks/evpn";
import type { Check, CheckContext, ExecResult } from "../../src/checks/types";
import { resolveTopology } from "../../src/model";
import { REPO_ROOT } from "../../src/util/paths";
import { SVI_ADDRESS, variant } from "../../variants/evpn";

type Recording = Record<string, Record<string, unknown>>;
const recorded = (state: string): Recording =>
  (
    JSON.parse(readFileSync(join(REPO_ROOT, "test/unit/fixtures", `evpn-${state}.json`), "utf8")) as {
      nodes: Recording;
    }
  ).nodes;

const t = resolveTopology({ stack: "lab", variant: "evpn" });
const [h1, h2] = t.hosts as [(typeof t.hosts)[0], (typeof t.hosts)[0]];
const fast = { timeoutMs: 50, intervalMs: 10 };

/** Which recorded output an argv asks for; undefined for commands that change things. */
function keyOf(argv: string[]): string | undefined {
  const cmd = argv.join(" ");
  if (cmd === "vtysh -c show bgp neighbors json") return "neighbors";
  if (cmd === "vtysh -c show ipv6 ospf6 neighbor json") return "ospf6";
  if (cmd.includes("route detail type multicast json")) return "imet";
  if (cmd.includes("route detail type macip json")) return "macip";
  if (/^vtysh -c show evpn vni \d+ json$/.test(cmd)) return "vni";
  if (/^vtysh -c show evpn mac vni \d+ mac \S+ json$/.test(cmd)) return "mac";
  if (cmd === "bridge -j fdb show dev vxlan100") return "fdb";
  if (cmd === "ip -j -6 neigh show dev br100") return "neigh";
  return undefined;
}

/**
 * A lab that answers from recordings. `pick(node, key)` chooses the recording;
 * every other command succeeds silently and is logged, so a test can follow
 * the changes a check makes.
 */
function fakeLab(pick: (node: string, key: string) => unknown) {
  const log: string[] = [];
  const ctx: CheckContext = {
    t,
    exec: (node, argv): Promise<ExecResult> => {
      const key = keyOf(argv);
      if (key === undefined) {
        log.push(`${node}: ${argv.join(" ")}`);
        return Promise.resolve({ code: 0, stdout: "", stderr: "" });
      }
      const out = pick(node, key);
      if (out === undefined) return Promise.resolve({ code: 1, stdout: "", stderr: `no ${key} on ${node}` });
      return Promise.resolve({ code: 0, stdout: JSON.stringify(out), stderr: "" });
    },
  };
  return { ctx, log };
}

const healthy = recorded("healthy");
const from = (r: Recording) => (node: string, key: string) => r[node]?.[key];
/** A deep copy of the healthy recording with one node's output changed. */
// The recordings are FRR's untyped JSON, edited in place by each test.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function broken(node: string, key: string, change: (json: any) => unknown): Recording {
  const copy = structuredClone(healthy);
  const n = copy[node] ?? {};
  n[key] = change(n[key]) ?? n[key];
  return copy;
}

async function run(c: Check, r: Recording = healthy) {
  return c.run(fakeLab(from(r)).ctx);
}

describe("evpn checks on the healthy recording", () => {
  it.each([
    ["sessions", evpnSessions(t), "6 sessions seen from both ends"],
    ["type-3", imetRoutes(t), "PMSI to its loopback"],
    ["zebra VNI", zebraVni(t), "ingress replication"],
    ["type-2", macIpRoutes(t), "also 8 link-local MAC+IP routes"],
    ["vxlan100 FDB", evpnFdb(t), "as promised on every VTEP"],
    ["br100 neighbours", sviNeighbours(t), "every host's address"],
  ])("%s passes", async (_what, check, detail) => {
    const o = await run(check);
    expect(o.detail).toContain(detail);
    expect(o.ok).toBe(true);
  });

  it("reads the recorded routes the way the checks do", () => {
    const imet = evpnRoutes(healthy.S1?.imet as Record<string, unknown>).filter((r) => r.routeType === 3);
    expect(imet.map((r) => r.ip).sort()).toEqual(["2001:db8:1::1", "2001:db8:2::1", "2001:db8:3::1"]);
    const s3 = imet.find((r) => r.ip === "2001:db8:3::1");
    expect(bestPath(s3!)?.pmsi).toEqual({
      tunnelType: "Ingress Replication",
      label: 100,
      id: "2001:db8:3::1",
    });
    expect(mobilitySeq({ extendedCommunity: { string: "RT:65000:100 ET:8 MM:3" } })).toBe(3);
    expect(mobilitySeq({ extendedCommunity: { string: "RT:65000:100 ET:8" } })).toBe(0);
  });
});

describe("evpn checks on broken recordings", () => {
  it("a session that is not Established, or lacks l2vpn evpn, is named", async () => {
    const down = broken("R2", "neighbors", (nb) => {
      nb["2001:db8:3::1"].bgpState = "Active";
    });
    expect((await run(evpnSessions(t), down)).detail).toBe("R2: 2001:db8:3::1 is Active");
    const noEvpn = broken("S1", "neighbors", (nb) => {
      nb["2001:db8:ffff::2"].neighborCapabilities.multiprotocolExtensions = {};
    });
    const o = await run(evpnSessions(t), noEvpn);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("S1: 2001:db8:ffff::2: l2vpn evpn not negotiated");
    const gone = broken("R1", "neighbors", (nb) => {
      delete nb["2001:db8:2::1"];
    });
    expect((await run(evpnSessions(t), gone)).detail).toBe("R1: no session with 2001:db8:2::1");
  });

  it("a type-3 route missing, or with an IPv4-mapped PMSI endpoint, fails with the route named", async () => {
    const missing = broken("S2", "imet", (tbl) => {
      delete tbl["10.0.1.3:2"];
    });
    expect((await run(imetRoutes(t), missing)).detail).toBe("S2: type-3 originators: missing 2001:db8:3::1");
    // What FRR before 10.7 put in the PMSI attribute of an IPv6 VTEP's route (PR #21507).
    const badPmsi = broken("S1", "imet", (tbl) => {
      for (const alt of tbl["10.0.1.2:2"]["[3]:[0]:[128]:[2001:db8:2::1]"].paths) alt[0].pmsi.id = "0.0.0.0";
    });
    const o = await run(imetRoutes(t), badPmsi);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe(
      "S1: [3]:[0]:[128]:[2001:db8:2::1] PMSI Ingress Replication id 0.0.0.0 label 100, " +
        "expected Ingress Replication id 2001:db8:2::1 label 100",
    );
  });

  it("zebra without a remote VTEP in its flood list fails", async () => {
    const r = broken("S3", "vni", (v) => {
      v.remoteVteps = v.remoteVteps.filter((x: { ip: string }) => x.ip !== "2001:db8:1::1");
    });
    expect((await run(zebraVni(t), r)).detail).toBe("S3: remote VTEPs: missing 2001:db8:1::1 HER");
  });

  it("a host whose MAC+IP route is missing is named with its VTEP", async () => {
    const r = broken("S3", "macip", (tbl) => {
      delete tbl["10.0.1.2:2"]["[2]:[0]:[48]:[50:54:33:00:00:0a]:[128]:[2001:db8:ff::12]"];
    });
    const o = await run(macIpRoutes(t), r);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("S3: missing 50:54:33:00:00:0a/2001:db8:ff::12>2001:db8:2::1");
  });

  it("a learned FDB entry, or a MAC at the wrong VTEP, fails", async () => {
    const learned = broken("S1", "fdb", (fdb) => [
      ...fdb,
      { mac: "50:54:33:00:00:77", dst: "2001:db8:2::1", flags: ["self"], state: "" },
    ]);
    expect((await run(evpnFdb(t), learned)).detail).toBe(
      "S1: entries FRR did not install: 50:54:33:00:00:77>2001:db8:2::1",
    );
    const wrong = broken("S2", "fdb", (fdb) =>
      fdb.map((e: { mac: string; dst?: string }) =>
        e.mac === "50:54:33:00:00:0b" && e.dst ? { ...e, dst: "2001:db8:1::1" } : e,
      ),
    );
    expect((await run(evpnFdb(t), wrong)).detail).toBe(
      "S2: missing 50:54:33:00:00:0b>2001:db8:3::1; unexpected 50:54:33:00:00:0b>2001:db8:1::1",
    );
  });

  it("a local host the bridge never learned (no MAC+IP, no ND suppression for it) fails", async () => {
    // What the machine-wide neighbour GC did to the learned entries before br100's gc_stale was raised.
    const r = broken("S2", "neigh", (n) => n.filter((e: { dst: string }) => e.dst !== "2001:db8:ff::11"));
    expect((await run(sviNeighbours(t), r)).detail).toBe("S2: missing 2001:db8:ff::11=50:54:33:00:00:09");
  });
});

describe("evpn checks that change the lab", () => {
  const moved = recorded("moved");

  /**
   * The lab as the mobility check changes it: moved once H2 grows H1's MAC,
   * home again once S2 forgets it (the withdrawal reaches S1: S1's view as
   * recorded healthy) or H1 speaks. `withdraws: false`: S2's withdrawal never
   * reaches S1.
   */
  function movingLab(movedView: Recording, { withdraws = true } = {}) {
    let state: "home" | "moved" = "home";
    const lab = fakeLab((node, key) =>
      state === "moved" && movedView[node]?.[key] !== undefined
        ? movedView[node]?.[key]
        : healthy[node]?.[key],
    );
    const exec = lab.ctx.exec;
    lab.ctx.exec = async (node, argv) => {
      const r = await exec(node, argv);
      const cmd = argv.join(" ");
      if (node === "H2" && cmd.includes("ip link add vxlab_mv")) state = "moved";
      if (withdraws && node === "S2" && cmd.includes("bridge fdb del")) state = "home";
      if (node === "H1" && cmd.includes(`${SVI_ADDRESS}%eth0`)) state = "home";
      return r;
    };
    return lab;
  }

  it("mobility: H1's MAC behind S2 with sequence 1, followed by S1 and S3, then back; every change undone", async () => {
    const lab = movingLab(moved);
    const o = await hostMobility(t, h1, h2, SVI_ADDRESS, fast).run(lab.ctx);
    expect(o.detail).toMatch(/^moved to S2 with sequence > 0, followed everywhere in \d+ ms; back at S1/);
    expect(o.ok).toBe(true);
    expect(lab.log).toEqual([
      expect.stringMatching(/^S1: sh -c .*table bridge vxlab_move .*iifname "h1" drop/),
      expect.stringMatching(
        /^H2: sh -c ip link add vxlab_mv link eth0 address 50:54:33:00:00:08 type macvlan .*2001:db8:ff::10\/64 .*fe80::1%vxlab_mv/,
      ),
      "H2: ip link del vxlab_mv",
      expect.stringMatching(/^S2: sh -c bridge fdb del 50:54:33:00:00:08 dev h2 master; /),
      "S1: nft delete table bridge vxlab_move",
      "H1: sh -c ping -6 -c1 -W1 -I 2001:db8:ff::10 fe80::1%eth0 >/dev/null || true",
    ]);
  });

  it("mobility: before H1 speaks at home again, waits for S1 to drop S2's route (else zebra keeps a stale VXLAN entry) and names it when S1 does not", async () => {
    const lab = movingLab(moved, { withdraws: false });
    const o = await hostMobility(t, h1, h2, SVI_ADDRESS, fast).run(lab.ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("withdrawal from S2: S1 still holds 50:54:33:00:00:08 as remote behind S2");
    // The lab is put back all the same, after the wait.
    const i = lab.log.findIndex((l) => l.startsWith("S2: sh -c bridge fdb del"));
    expect(lab.log.slice(i + 1)).toEqual([
      "S1: nft delete table bridge vxlab_move",
      "H1: sh -c ping -6 -c1 -W1 -I 2001:db8:ff::10 fe80::1%eth0 >/dev/null || true",
    ]);
  });

  it("mobility: a VTEP that does not follow is named, and the lab is still put back", async () => {
    // S3 keeps H1's MAC at S1, as if it had missed the higher-sequence route.
    const stuck = structuredClone(moved);
    delete stuck.S3;
    const lab = movingLab(stuck);
    const o = await hostMobility(t, h1, h2, SVI_ADDRESS, fast).run(lab.ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("after the move: S3: 50:54:33:00:00:08 remote 2001:db8:1::1");
    expect(lab.log.at(-1)).toContain("H1: sh -c ping");
  });

  /** The lab as the withdrawal check changes it: S3's uplinks down -> the recording with S3 gone. */
  function cutLab(goneView: Recording, backView: Recording = healthy) {
    let gone = false;
    // The recordings hold no reflector's type-3 table: a reflector holds every
    // VTEP's type-3 route, as S1's table does (its own included).
    // Nor OSPFv3: S3 has its two adjacencies Full except while cut off.
    const at = (r: Recording, node: string, key: string) =>
      r[node]?.[key] ??
      (key === "imet" && node.startsWith("R") ? r.S1?.imet : undefined) ??
      (key === "ospf6" ? { neighbors: gone ? [] : [{ state: "Full" }, { state: "Full" }] } : undefined);
    const lab = fakeLab((node, key) => at(gone ? goneView : backView, node, key) ?? at(healthy, node, key));
    const exec = lab.ctx.exec;
    lab.ctx.exec = async (node, argv) => {
      const cmd = argv.join(" ");
      if (node === "S3" && cmd.includes("ip link set r1 down")) gone = true;
      if (node === "S3" && cmd.includes("ip link set r1 up")) gone = false;
      return exec(node, argv);
    };
    return lab;
  }

  it("withdrawal: everything from S3 gone on S1 and S2, sessions dropped by both reflectors, then back", async () => {
    const lab = cutLab(recorded("s3gone"));
    const o = await vtepGone(t, "S3", fast).run(lab.ctx);
    expect(o.detail).toMatch(/^S3's routes and FDB entries gone everywhere within \d+ ms/);
    expect(o.ok).toBe(true);
    expect(lab.log).toEqual([
      "S3: sh -c ip link set r1 down && ip link set r2 down",
      "S3: sh -c ip link set r1 up && ip link set r2 up",
    ]);
  });

  it("withdrawal: not back while a reflector has no session with S3 again, even with its routes back everywhere", async () => {
    const back = structuredClone(healthy);
    (back.R2 ?? {}).neighbors = recorded("s3gone").R2?.neighbors;
    const o = await vtepGone(t, "S3", fast).run(cutLab(recorded("s3gone"), back).ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("after the links came back: R2's session with S3 is absent");
  });

  it("withdrawal: not back while S3's adjacency with R2 is still forming, even with both sessions up", async () => {
    const back = structuredClone(healthy);
    back.S3 = { ...back.S3, ospf6: { neighbors: [{ state: "Full" }, { state: "ExStart" }] } };
    const o = await vtepGone(t, "S3", fast).run(cutLab(recorded("s3gone"), back).ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe("after the links came back: S3 has 1 of 2 OSPFv3 adjacencies Full");
  });

  it("withdrawal: not back while S1 holds S3's type-3 route from R1 only", async () => {
    const back = broken("S1", "imet", (imet: Record<string, Record<string, { paths: unknown[] }>>) => {
      const s3 = imet["10.0.1.3:2"]?.["[3]:[0]:[128]:[2001:db8:3::1]"];
      if (s3) s3.paths = s3.paths.slice(0, 1);
    });
    const o = await vtepGone(t, "S3", fast).run(cutLab(recorded("s3gone"), back).ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe(
      "after the links came back: S1 has S3's type-3 route not from 2001:db8:ffff::2 yet",
    );
  });

  it("withdrawal: a route left behind and a session kept are both named", async () => {
    const gone = recorded("s3gone");
    const s1 = gone.S1 ?? {};
    s1.imet = healthy.S1?.imet;
    (gone.R2 ?? {}).neighbors = healthy.R2?.neighbors;
    const o = await vtepGone(t, "S3", fast).run(cutLab(gone).ctx);
    expect(o.ok).toBe(false);
    expect(o.detail).toBe(
      "S1 still has [3]:[0]:[128]:[2001:db8:3::1]; R2 still has a session with 2001:db8:3::1 (Established)",
    );
  });
});

describe("redundancy before a fault: every remote route from every reflector", () => {
  it("the healthy recording has every remote type-2 and type-3 route from both reflectors", async () => {
    expect(await unreflected(fakeLab(from(healthy)).ctx)).toEqual([]);
  });

  it("a route S2 got through R1 only is named, with the reflector it lacks", async () => {
    const r = broken("S2", "macip", (macip: Record<string, Record<string, { paths: unknown[] }>>) => {
      const h4 = Object.entries(macip["10.0.1.3:2"] ?? {}).find(([k]) => k.startsWith("[2]"));
      if (h4) h4[1].paths = h4[1].paths.slice(0, 1);
      return macip;
    });
    const gaps = await unreflected(fakeLab(from(r)).ctx);
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatch(/^S2: \[2\]:\[0\]:\[48\]:\[50:54:33:00:00:0b\]\S* not from 2001:db8:ffff::2$/);
  });
});

describe("evpn variant page", () => {
  it("builds nolearning VXLAN, port learning off, neigh_suppress, a link-local SVI; hosts announce themselves", () => {
    const cmds = variant.commands(t);
    expect(cmds.S2?.slice(-4)).toEqual([
      "ip link set vxlan100 up && ip link set br100 up",
      "bridge link set dev vxlan100 learning off neigh_suppress on",
      "ip -6 addr add fe80::1/64 dev br100 nodad",
      "ip ntable change name ndisc_cache dev br100 gc_stale 864000000",
    ]);
    expect(cmds.S2?.find((c) => c.includes("type vxlan"))).toBe(
      "ip link add vxlan100 type vxlan id 100 dstport 4789 local 2001:db8:2::1 ttl 5 nolearning",
    );
    expect(cmds.S2?.some((c) => c.startsWith("bridge fdb"))).toBe(false);
    expect(cmds.H3).toEqual(["ping -6 -c1 -W1 -I 2001:db8:ff::12 fe80::1%eth0 >/dev/null || true"]);
    expect(variant.amplification(t)).toBe(2);
    expect(variant.frrImage).toBe("frr-evpn");
  });

  it("checks the control plane first and takes the last VTEP away last", () => {
    const names = variant.checks(t).map((c) => c.name);
    expect(names[0]).toMatch(/^BGP: 6 iBGP sessions/);
    expect(names.at(-1)).toMatch(/^withdrawal: S3 /);
    expect(names.some((n) => n.startsWith("mobility: H1's MAC moved behind S2"))).toBe(true);
    expect(names.some((n) => n.startsWith("neighbour discovery: H1 resolving H2"))).toBe(true);
  });
});
