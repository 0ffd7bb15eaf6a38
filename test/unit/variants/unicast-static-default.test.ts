/**
 * unicast-static-default's checks on what they read from a real lab (3 VTEPs:
 * H1 behind S1, H2 H3 behind S2, H4 behind S3), replayed: the recording
 * passes, and each broken copy fails the check it should, naming the VTEP
 * and entry at fault. The checks every variant shares (reachability, paths)
 * are broken here once for all.
 */
import { describe, expect, it } from "vitest";
import { addToTable, editTable, FDB, loadFixture, mutate, runVariant, setCount } from "./replay";

const good = loadFixture("unicast-static-default");
const ZEROS = "00:00:00:00:00:00";
const H4 = "50:54:33:00:00:0b";
const S2 = "2001:db8:2::1";
const S3 = "2001:db8:3::1";

/** The recording with H4's ping to H1 unanswered. */
const h4CannotReachH1 = () =>
  mutate<string>(
    good,
    "H4",
    (k) => k.startsWith("sh -c for a"),
    (out) => out.replace("ok 2001:db8:ff::10", "no 2001:db8:ff::10"),
  );

describe("unicast-static-default checks, recorded lab", () => {
  it("pass on every VTEP, each with its own detail", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("reachability").detail).toBe("all answered");
    expect(byName("paths").detail).toBe("2 paths cross a router");
    expect(byName("tables").detail).toBe("as promised on every VTEP");
    expect(byName("amplification").detail).toBe("2 VXLAN packet(s), expected 2");
    expect(report.amplification.perBumFrame).toBe(2);
  });

  it("fail when S2 lacks its flood entry to S3, naming both", async () => {
    const f = editTable(good, "S2", FDB, (e) => (e.mac === ZEROS && e.dst === S3 ? undefined : e));
    const tables = (await runVariant(f)).byName("tables");
    expect(tables.ok).toBe(false);
    expect(tables.detail).toBe(`S2: flood entries: missing ${ZEROS}>${S3}`);
  });

  it("fail when a flood entry was learned rather than configured (not permanent)", async () => {
    const f = editTable(good, "S2", FDB, (e) => (e.mac === ZEROS && e.dst === S3 ? { ...e, state: "" } : e));
    expect((await runVariant(f)).byName("tables").detail).toBe(`S2: flood entries: missing ${ZEROS}>${S3}`);
  });

  it("fail when S1 learned H4's MAC behind the wrong VTEP", async () => {
    const f = editTable(good, "S1", FDB, (e) => (e.mac === H4 && e.dst ? { ...e, dst: S2 } : e));
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S1: missing ${H4}>${S3}; unexpected ${H4}>${S2}`,
    );
  });

  it("fail when S3 has not learned a remote MAC, and only S3 is named", async () => {
    const f = editTable(good, "S3", FDB, (e) => (e.mac === "50:54:33:00:00:09" && e.dst ? undefined : e));
    const { report, byName } = await runVariant(f);
    expect(byName("tables").detail).toBe(`S3: missing 50:54:33:00:00:09>${S2}`);
    expect(report.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([byName("tables").name]);
  });

  it("ignore the bridge's own entries (no self flag): only the VXLAN device's FDB counts", async () => {
    const f = addToTable(good, "S1", FDB, {
      mac: "02:00:00:00:00:99",
      flags: [],
      master: "br100",
      state: "",
    });
    expect((await runVariant(f)).byName("tables").ok).toBe(true);
  });

  it("fail on a static entry nobody configured, learned ones aside", async () => {
    const f = addToTable(good, "S1", FDB, {
      mac: ZEROS,
      dst: "2001:db8:9::1",
      flags: ["self"],
      state: "permanent",
    });
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S1: flood entries: unexpected ${ZEROS}>2001:db8:9::1`,
    );
  });

  it("count one VXLAN packet too many as amplification 3, not 2", async () => {
    const { byName, report } = await runVariant(setCount(good, "S1", 0, { probe: 3 }));
    expect(byName("amplification").ok).toBe(false);
    expect(byName("amplification").detail).toBe("3 VXLAN packet(s), expected 2");
    expect(report.amplification.perBumFrame).toBe(3);
    // The unknown-unicast count is the second reading: still right.
    expect(byName("unknown unicast").ok).toBe(true);
  });

  it("fail when unknown unicast is not flooded to every peer", async () => {
    const unknown = (await runVariant(setCount(good, "S1", 1, { probe: 1 }))).byName("unknown unicast");
    expect(unknown.ok).toBe(false);
    expect(unknown.detail).toBe("1 VXLAN packet(s), expected 2");
  });

  it("name the pair that did not answer ping", async () => {
    const f = h4CannotReachH1();
    const ping = (await runVariant(f)).byName("reachability");
    expect(ping.ok).toBe(false);
    // ...and what the underlay between their VTEPs says (the recording has no link table: not asserted).
    expect(ping.detail).toMatch(
      /^no answer: H4->H1; underlay: S3 -> S1's loopback (answers|does not answer) \(S3: r1 /,
    );
  });

  it("name a dark host's port that is out of the bridge and paired with no one, from both ends' link tables", async () => {
    const f = h4CannotReachH1();
    const LINKS = "ip -j link show";
    // S3's h4 names peer index 9, H4's eth0 (index 2) names S3's index 7: a port made again elsewhere.
    f.calls.S3 = {
      ...f.calls.S3,
      [LINKS]: [{ json: [{ ifname: "h4", ifindex: 7, link_index: 9, operstate: "UP" }] }],
    };
    f.calls.H4 = {
      ...f.calls.H4,
      [LINKS]: [{ json: [{ ifname: "eth0", ifindex: 2, link_index: 7, operstate: "UP" }] }],
    };
    const ping = (await runVariant(f)).byName("reachability");
    expect(ping.detail).toContain("access: H4: S3's h4 UP in no bridge, NOT paired with H4's eth0");
    expect(ping.detail).toContain("H1: S1's h1");
  });

  it("fail a path that skips the routers, naming its hops", async () => {
    const f = mutate<{ report: { hubs: { host: string }[] } }>(
      good,
      "S1",
      (k) => k.startsWith("mtr ") && k.endsWith(S3),
      () => ({ report: { hubs: [{ host: S3 }] } }),
    );
    const paths = (await runVariant(f)).byName("paths");
    expect(paths.ok).toBe(false);
    expect(paths.detail).toBe(`S1->S3 via ${S3}`);
  });

  it("report a VTEP whose table cannot be read, with the command's error", async () => {
    const f = mutate(
      good,
      "S3",
      (k) => k === FDB,
      (out) => out,
    );
    f.calls.S3![FDB] = [{ code: 1, stderr: 'Cannot find device "vxlan100"' }];
    const tables = (await runVariant(f)).byName("tables");
    expect(tables.ok).toBe(false);
    expect(tables.detail).toContain(
      'S3: bridge -j fdb show dev vxlan100 exited 1: Cannot find device "vxlan100"',
    );
  });
});
