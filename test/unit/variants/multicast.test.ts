/**
 * multicast's checks on what they read from a real lab (3 VTEPs, SSM: PIM on
 * every VTEP, no RP), replayed: every VTEP joined each other VTEP's (S,G) on
 * vxsp and a router joined its own source, the all-zeros entry to the group,
 * remote MACs learned behind their VTEP's source address, one VXLAN packet
 * per BUM frame out of the VXLAN device.
 */
import { describe, expect, it } from "vitest";
import { editTable, FDB, loadFixture, mutate, runVariant, setCount } from "./replay";

const good = loadFixture("multicast");
const H4 = "50:54:33:00:00:0b";
const G = "ff35::100";
const PIM = "vtysh -c show ipv6 pim state json";
type State = Record<string, Record<string, Record<string, unknown>>>;

/** The recording with one (S,G) entry of one VTEP changed. */
const editPim = (
  vtep: string,
  source: string,
  change: (e: Record<string, unknown>) => Record<string, unknown>,
) =>
  mutate<State>(
    good,
    vtep,
    (k) => k === PIM,
    (out) => ({ ...out, [G]: { ...out[G], [source]: change(out[G]?.[source] ?? {}) } }),
  );

describe("multicast checks, recorded lab", () => {
  it("pass: each VTEP joined to both remote sources; one packet per BUM frame", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("multicast routing").detail).toBe("3 VTEPs, each joined to 2 remote source(s)");
    expect(byName("tables").detail).toBe("as promised on every VTEP");
    expect(report.amplification.perBumFrame).toBe(1);
  });

  it("fail when S2 has no (S3's source, G) delivered to vxsp", async () => {
    const f = editPim("S2", "2001:db8:3::5", () => ({ installed: 0 }));
    const pim = (await runVariant(f)).byName("multicast routing");
    expect(pim.ok).toBe(false);
    expect(pim.detail).toBe("S2: no (2001:db8:3::5,G) to vxsp");
  });

  it("fail when no router joined S1's own source (nothing sent up from vxsp)", async () => {
    const f = editPim("S1", "2001:db8:1::5", ({ vxsp: _gone, ...rest }) => rest);
    const pim = (await runVariant(f)).byName("multicast routing");
    expect(pim.ok).toBe(false);
    expect(pim.detail).toBe("S1: its own source 2001:db8:1::5 joined by no router");
  });

  it("fail with vtysh's error when S1's PIM state cannot be read", async () => {
    const f = structuredClone(good);
    f.calls.S1![PIM] = [{ code: 1, stderr: "pim6d is not running" }];
    const pim = (await runVariant(f)).byName("multicast routing");
    expect(pim.ok).toBe(false);
    expect(pim.detail).toBe(`S1: vtysh -c show ipv6 pim state json exited 1: pim6d is not running`);
  });

  it("fail when S2's all-zeros entry points elsewhere than the group", async () => {
    const f = editTable(good, "S2", FDB, (e) =>
      e.mac === "00:00:00:00:00:00" ? { ...e, dst: "2001:db8:1::1" } : e,
    );
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S2: all-zeros entries: 2001:db8:1::1, expected ${G}`,
    );
  });

  it("fail when S1 learned H4 behind S2's source rather than S3's", async () => {
    const f = editTable(good, "S1", FDB, (e) => (e.mac === H4 && e.dst ? { ...e, dst: "2001:db8:2::5" } : e));
    expect((await runVariant(f)).byName("tables").detail).toBe(
      `S1: missing ${H4}>2001:db8:3::5; unexpected ${H4}>2001:db8:2::5`,
    );
  });

  it("fail when a BUM frame left as two packets (head-end replication, not the group)", async () => {
    const { byName, report } = await runVariant(setCount(good, "S1", 0, { probe: 2 }));
    expect(byName("amplification").detail).toBe("2 VXLAN packet(s), expected 1");
    expect(report.amplification.perBumFrame).toBe(2);
  });
});
