/**
 * unicast-static-rsc's checks on what they read from a real lab (3 VTEPs, H4
 * in 2001:db8:fe::/64 behind S3), replayed: router-flagged gateway entries
 * for local hosts only, static flooding, neighbour entries for every remote
 * host, and echo replies switched (hop limit 64), not routed.
 */
import { describe, expect, it } from "vitest";
import { addToTable, editTable, FDB, loadFixture, NEIGH, runVariant, setCount } from "./replay";

const good = loadFixture("unicast-static-rsc");
const GW_FF = "02:00:00:00:00:01";
const GW_FE = "02:00:00:00:00:02";

describe("unicast-static-rsc checks, recorded lab", () => {
  it("pass, and the seed's ping saw two switched replies", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("rsc:").detail).toBe("ping exit 0; echo replies to H1: 2 with hop limit 64, 0 decremented");
    expect(byName("tables: local hosts' gateway").detail).toBe("as promised on every VTEP");
  });

  it("fail when S1's gateway entry lost its router flag", async () => {
    const f = editTable(good, "S1", FDB, (e) =>
      e.mac === GW_FF && e.flags?.includes("router") ? { ...e, flags: ["self"] } : e,
    );
    expect((await runVariant(f)).byName("tables: local hosts' gateway").detail).toBe(
      `S1: router entries: missing ${GW_FF}`,
    );
  });

  it("fail on a router entry for a remote gateway (it would drop short-circuited frames)", async () => {
    const f = addToTable(good, "S1", FDB, { mac: GW_FE, dst: "2001:db8:ffff::1", flags: ["self", "router"] });
    expect((await runVariant(f)).byName("tables: local hosts' gateway").detail).toBe(
      `S1: router entries: unexpected ${GW_FE}`,
    );
  });

  it("fail when S2 lacks H4's neighbour entry, naming address and MAC", async () => {
    const f = editTable(good, "S2", NEIGH, (e) => (e.dst === "2001:db8:fe::13" ? undefined : e));
    expect((await runVariant(f)).byName("tables: a neighbour entry").detail).toBe(
      "S2: missing 2001:db8:fe::13=50:54:33:00:00:0b",
    );
  });

  it("fail when a neighbour entry carries the wrong MAC", async () => {
    const f = editTable(good, "S3", NEIGH, (e) =>
      e.dst === "2001:db8:ff::10" ? { ...e, lladdr: GW_FF } : e,
    );
    expect((await runVariant(f)).byName("tables: a neighbour entry").detail).toBe(
      `S3: missing 2001:db8:ff::10=50:54:33:00:00:08; unexpected 2001:db8:ff::10=${GW_FF}`,
    );
  });

  it("fail when a reply was routed (hop limit decremented) rather than switched", async () => {
    const rsc = (await runVariant(setCount(good, "S1", 0, { hop64: 1, routed: 1 }))).byName("rsc:");
    expect(rsc.ok).toBe(false);
    expect(rsc.detail).toBe("ping exit 0; echo replies to H1: 1 with hop limit 64, 1 decremented");
  });

  it("fail when the seed's ping is not answered", async () => {
    const f = structuredClone(good);
    f.calls.H1!["ping -6 -c2 -W1 2001:db8:fe::13"] = [{ code: 1 }];
    expect((await runVariant(f)).byName("rsc:").detail).toMatch(/^ping exit 1;/);
  });
});
