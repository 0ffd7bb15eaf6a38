/**
 * unicast-static-l2's checks on what they read from a real lab (3 VTEPs),
 * replayed: nothing may be learned, every remote MAC and peer is a static
 * entry. Broken copies fail naming the VTEP and entry.
 */
import { describe, expect, it } from "vitest";
import { addToTable, editTable, FDB, loadFixture, runVariant, setCount } from "./replay";

const good = loadFixture("unicast-static-l2");
const H1 = "50:54:33:00:00:08";
const S1 = "2001:db8:1::1";
const S3 = "2001:db8:3::1";

describe("unicast-static-l2 checks, recorded lab", () => {
  it("pass: only static entries, as configured, on every VTEP", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("tables").detail).toBe("as promised on every VTEP");
    expect(report.amplification.perBumFrame).toBe(2);
  });

  it("fail on a learned entry where only static ones are promised, naming it", async () => {
    const f = editTable(good, "S2", FDB, (e) => (e.mac === H1 && e.dst ? { ...e, state: "" } : e));
    expect((await runVariant(f)).byName("tables").detail).toBe(`S2: learned entries: ${H1}>${S1}`);
  });

  it("fail when S3 lacks the static entry of H1's MAC", async () => {
    const f = editTable(good, "S3", FDB, (e) => (e.mac === H1 && e.dst ? undefined : e));
    expect((await runVariant(f)).byName("tables").detail).toBe(`S3: missing ${H1}>${S1}`);
  });

  it("fail on a static entry to a VTEP that does not exist", async () => {
    const f = addToTable(good, "S1", FDB, {
      mac: "50:54:33:00:00:99",
      dst: "2001:db8:9::1",
      flags: ["self"],
      state: "static",
    });
    expect((await runVariant(f)).byName("tables").detail).toBe(
      "S1: unexpected 50:54:33:00:00:99>2001:db8:9::1",
    );
  });

  it("fail when S2's flood entry points at the wrong peer", async () => {
    const f = editTable(good, "S2", FDB, (e) =>
      e.mac === "00:00:00:00:00:00" && e.dst === S3 ? { ...e, dst: "2001:db8:4::1" } : e,
    );
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S2: missing 00:00:00:00:00:00>${S3}; unexpected 00:00:00:00:00:00>2001:db8:4::1`,
    );
  });

  it("fail when a BUM frame reaches only one of two peers", async () => {
    const amp = (await runVariant(setCount(good, "S1", 0, { probe: 1 }))).byName("amplification");
    expect(amp.ok).toBe(false);
    expect(amp.detail).toBe("1 VXLAN packet(s), expected 2");
  });
});
