/**
 * unicast-dynamic-nd's checks on what they read from a real lab (3 VTEPs, an
 * agent per VTEP, etcd), replayed: agent-installed FDB and permanent
 * neighbour entries (extern_learn) for every remote host, no multicast entry,
 * ND answered by the local VTEP, nothing flooded.
 */
import { describe, expect, it } from "vitest";
import { addToTable, editStatus, editTable, FDB, loadFixture, NEIGH, runVariant, setCount } from "./replay";

const good = loadFixture("unicast-dynamic-nd");
const H1 = "50:54:33:00:00:08";

describe("unicast-dynamic-nd checks, recorded lab", () => {
  it("pass: agent-only FDB and neighbour entries, ND answered locally, nothing flooded", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("neighbour discovery").detail).toBe("ping answered, 0 solicitation(s) sent over VXLAN");
    expect(report.amplification.perBumFrame).toBe(0);
  });

  it("fail on a neighbour entry the agent did not install (no extern_learn)", async () => {
    const f = editTable(good, "S2", NEIGH, (e) => {
      if (e.dst !== "2001:db8:ff::10") return e;
      const { extern_learn: _dropped, ...rest } = e;
      return rest;
    });
    expect((await runVariant(f)).byName("tables: every neighbour entry").detail).toBe(
      `S2: entries the agent did not install: 2001:db8:ff::10=${H1}`,
    );
  });

  it("fail when S3 lacks the neighbour entry of H1, for proxy ND", async () => {
    const f = editTable(good, "S3", NEIGH, (e) => (e.dst === "2001:db8:ff::10" ? undefined : e));
    expect((await runVariant(f)).byName("tables: agent neighbour entries").detail).toBe(
      `S3: missing 2001:db8:ff::10=${H1}`,
    );
  });

  it("fail on a multicast FDB entry: this variant floods nothing", async () => {
    const f = addToTable(good, "S1", FDB, {
      mac: "33:33:ff:00:00:13",
      dst: "2001:db8:3::1",
      flags: ["self", "extern_learn"],
      state: "permanent",
    });
    expect((await runVariant(f)).byName("tables: agent entries only").detail).toBe(
      "S1: unexpected 33:33:ff:00:00:13>2001:db8:3::1",
    );
  });

  it("fail when the solicitation crossed VXLAN instead of being answered by S1", async () => {
    const nd = (await runVariant(setCount(good, "S1", 0, { probe: 1 }))).byName("neighbour discovery");
    expect(nd.ok).toBe(false);
    expect(nd.detail).toBe("ping answered, 1 solicitation(s) sent over VXLAN");
  });

  it("fail when S3's agent lost the registry", async () => {
    const f = editStatus(good, "S3-agent", (s) => ({ ...s, registry: "down" }));
    expect((await runVariant(f)).byName("agents").detail).toBe("registry down for S3");
  });
});
