/**
 * multicast's checks on what they read from a real lab (3 VTEPs, RP on R1),
 * replayed: the group joined by MLD on every VTEP link of R1, the all-zeros
 * entry to the group, remote MACs learned behind their VTEP's first uplink,
 * one VXLAN packet per BUM frame.
 */
import { describe, expect, it } from "vitest";
import { editTable, FDB, loadFixture, mutate, runVariant, setCount } from "./replay";

const good = loadFixture("multicast");
const H4 = "50:54:33:00:00:0b";
const MLD = "vtysh -c show ipv6 mld groups json";
type Groups = Record<string, { groups: { group: string }[] } | number>;

describe("multicast checks, recorded lab", () => {
  it("pass: joined on s1, s2, s3; one packet per BUM frame", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("multicast routing").detail).toBe("joined on s1, s2, s3");
    expect(byName("tables").detail).toBe("as promised on every VTEP");
    expect(report.amplification.perBumFrame).toBe(1);
  });

  it("fail when R1 has no MLD state for the group on the link to S2", async () => {
    const f = mutate<Groups>(
      good,
      "R1",
      (k) => k === MLD,
      (out) => ({
        ...out,
        s2: {
          groups: (out.s2 as { groups: { group: string }[] }).groups.filter((g) => g.group !== "ff05::100"),
        },
      }),
    );
    const mld = (await runVariant(f)).byName("multicast routing");
    expect(mld.ok).toBe(false);
    expect(mld.detail).toBe("missing s2");
  });

  it("fail with vtysh's error when R1's MLD state cannot be read, not as 'missing s1, s2, s3'", async () => {
    const f = structuredClone(good);
    f.calls.R1![MLD] = [{ code: 1, stderr: "pim6d is not running" }];
    const mld = (await runVariant(f)).byName("multicast routing");
    expect(mld.ok).toBe(false);
    expect(mld.detail).toBe(`R1: ${MLD} exited 1: pim6d is not running`);
  });

  it("fail when S2's all-zeros entry points elsewhere than the group", async () => {
    const f = editTable(good, "S2", FDB, (e) =>
      e.mac === "00:00:00:00:00:00" ? { ...e, dst: "2001:db8:1::1" } : e,
    );
    expect((await runVariant(f)).byName("tables").detail).toBe(
      "S2: all-zeros entries: 2001:db8:1::1, expected ff05::100",
    );
  });

  it("fail when S1 learned H4 behind S2's uplink rather than S3's", async () => {
    const f = editTable(good, "S1", FDB, (e) =>
      e.mac === H4 && e.dst ? { ...e, dst: "2001:db8:ffff:3::2" } : e,
    );
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S1: missing ${H4}>2001:db8:ffff:5::2; unexpected ${H4}>2001:db8:ffff:3::2`,
    );
  });

  it("fail when a BUM frame left as two packets (head-end replication, not the group)", async () => {
    const { byName, report } = await runVariant(setCount(good, "S1", 0, { probe: 2 }));
    expect(byName("amplification").detail).toBe("2 VXLAN packet(s), expected 1");
    expect(report.amplification.perBumFrame).toBe(2);
  });
});
