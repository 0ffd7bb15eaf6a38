/**
 * unicast-static-nd's checks on what they read from a real lab (3 VTEPs),
 * replayed: no flooding at all, static MAC and permanent neighbour entries
 * for every remote host, ND answered by the local VTEP, an unregistered
 * address isolated. Broken copies fail naming the VTEP and entry.
 */
import { describe, expect, it } from "vitest";
import { addToTable, editTable, FDB, loadFixture, NEIGH, runVariant, setCount } from "./replay";

const good = loadFixture("unicast-static-nd");
const H1 = "50:54:33:00:00:08";

describe("unicast-static-nd checks, recorded lab", () => {
  it("pass: nothing flooded, nothing learned, ND answered locally, the rogue address isolated", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("neighbour discovery").detail).toBe("ping answered, 0 solicitation(s) sent over VXLAN");
    expect(byName("isolation").detail).toBe("none of 3 answered");
    expect(report.amplification.perBumFrame).toBe(0);
  });

  it("fail on an all-zeros entry: BUM frames would be flooded", async () => {
    const f = addToTable(good, "S2", FDB, {
      mac: "00:00:00:00:00:00",
      dst: "2001:db8:1::1",
      flags: ["self"],
      state: "permanent",
    });
    expect((await runVariant(f)).byName("tables: no all-zeros").detail).toBe(
      "S2: unexpected 00:00:00:00:00:00>2001:db8:1::1",
    );
  });

  it("fail on an entry the kernel learned, naming it as learned", async () => {
    const f = editTable(good, "S3", FDB, (e) => (e.mac === H1 && e.dst ? { ...e, state: "" } : e));
    expect((await runVariant(f)).byName("tables: no all-zeros").detail).toBe(
      `S3: missing ${H1}>2001:db8:1::1; unexpected learned ${H1}>2001:db8:1::1`,
    );
  });

  it("fail on a neighbour entry that is not permanent, showing its state", async () => {
    const f = editTable(good, "S3", NEIGH, (e) =>
      e.dst === "2001:db8:ff::10" ? { ...e, state: ["STALE"] } : e,
    );
    expect((await runVariant(f)).byName("tables: one permanent neighbour").detail).toBe(
      `S3: missing 2001:db8:ff::10=${H1}; unexpected 2001:db8:ff::10=${H1} (STALE)`,
    );
  });

  it("fail when S2 has no neighbour entry for H1", async () => {
    const f = editTable(good, "S2", NEIGH, (e) => (e.dst === "2001:db8:ff::10" ? undefined : e));
    expect((await runVariant(f)).byName("tables: one permanent neighbour").detail).toBe(
      `S2: missing 2001:db8:ff::10=${H1}`,
    );
  });

  it("fail when the solicitation crossed VXLAN instead of being answered by S1", async () => {
    const nd = (await runVariant(setCount(good, "S1", 0, { probe: 1 }))).byName("neighbour discovery");
    expect(nd.ok).toBe(false);
    expect(nd.detail).toBe("ping answered, 1 solicitation(s) sent over VXLAN");
  });

  it("fail, not pass, when the unregistered address could not be added (every ping would fail)", async () => {
    const f = structuredClone(good);
    f.calls.H1!["ip -6 addr add 2001:db8:ff::ffff/64 dev eth0 nodad"] = [
      { code: 2, stderr: "RTNETLINK answers: Operation not permitted" },
    ];
    const iso = (await runVariant(f)).byName("isolation");
    expect(iso.ok).toBe(false);
    expect(iso.detail).toBe(
      "H1: ip -6 addr add 2001:db8:ff::ffff/64 dev eth0 nodad exited 2: RTNETLINK answers: Operation not permitted",
    );
  });

  it("fail, not pass, when H1's neighbour cache could not be flushed (no solicitation would be sent)", async () => {
    const f = structuredClone(good);
    f.calls.H1!["ip -6 neigh flush dev eth0"] = [{ code: 1, stderr: "Operation not permitted" }];
    const nd = (await runVariant(f)).byName("neighbour discovery");
    expect(nd.ok).toBe(false);
    expect(nd.detail).toBe("H1: ip -6 neigh flush dev eth0 exited 1: Operation not permitted");
  });

  it("fail when a remote host answers the unregistered address, naming it", async () => {
    const f = structuredClone(good);
    f.calls.H1!["ping -6 -c1 -W1 -I 2001:db8:ff::ffff 2001:db8:ff::12"] = [{ code: 0 }];
    const iso = (await runVariant(f)).byName("isolation");
    expect(iso.ok).toBe(false);
    expect(iso.detail).toBe("answered by H3");
  });
});
