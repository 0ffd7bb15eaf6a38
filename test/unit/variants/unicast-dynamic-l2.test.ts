/**
 * unicast-dynamic-l2's checks on what they read from a real lab (3 VTEPs, an
 * agent per VTEP, etcd), replayed: agents up, every host published under a
 * lease, only agent-installed FDB entries (remote MACs and the solicited-node
 * entries the registry implies), one NS per VTEP behind the address, nothing
 * else flooded, an unknown MAC counted and not installed.
 */
import { describe, expect, it } from "vitest";
import {
  addToTable,
  editRegistry,
  editStatus,
  editTable,
  FDB,
  loadFixture,
  runVariant,
  setCount,
} from "./replay";

const good = loadFixture("unicast-dynamic-l2");
const H4 = "50:54:33:00:00:0b";
const S3 = "2001:db8:3::1";

describe("unicast-dynamic-l2 checks, recorded lab", () => {
  it("pass: registry, agents, agent-only tables, one NS per VTEP behind the address", async () => {
    const { report, byName } = await runVariant(good);
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(byName("registry").detail).toMatch(/^8 entries, all leased/);
    expect(byName("unknown MAC").detail).toBe("2 unknown L2 miss(es) counted, no entry installed");
    expect(report.amplification.perBumFrame).toBe(1);
  });

  it("fail when S2's agent lost the registry", async () => {
    const f = editStatus(good, "S2-agent", (s) => ({ ...s, registry: "down" }));
    const agents = (await runVariant(f)).byName("agents");
    expect(agents.ok).toBe(false);
    expect(agents.detail).toBe("registry down for S2");
  });

  it("fail when H4's MAC is not in the registry, naming the key", async () => {
    const f = editRegistry(good, (kv) => (kv.key.endsWith(`mac/${H4}`) ? undefined : kv));
    expect((await runVariant(f)).byName("registry").detail).toBe(`missing mac ${H4} -> ${S3}`);
  });

  it("fail on a registry entry without a lease (it would outlive its agent)", async () => {
    const f = editRegistry(good, (kv) => (kv.key.endsWith(`mac/${H4}`) ? { ...kv, lease: 0 } : kv));
    expect((await runVariant(f)).byName("registry").detail).toBe(`without a lease: /vxlan-lab/100/mac/${H4}`);
  });

  it("fail on an FDB entry the agent did not install (no extern_learn)", async () => {
    const f = editTable(good, "S3", FDB, (e) =>
      e.mac === "50:54:33:00:00:08" && e.dst ? { ...e, flags: ["self"], state: "" } : e,
    );
    expect((await runVariant(f)).byName("tables: agent entries only").detail).toBe(
      "S3: entries the agent did not install: 50:54:33:00:00:08>2001:db8:1::1",
    );
  });

  it("fail when S1 lacks the solicited-node entry for H4's address", async () => {
    const f = editTable(good, "S1", FDB, (e) => (e.mac === "33:33:ff:00:00:13" ? undefined : e));
    expect((await runVariant(f)).byName("tables: agent entries only").detail).toBe(
      `S1: missing 33:33:ff:00:00:13>${S3}`,
    );
  });

  it("fail on an all-zeros entry, even one the agent installed", async () => {
    const f = addToTable(good, "S2", FDB, {
      mac: "00:00:00:00:00:00",
      dst: S3,
      flags: ["self", "extern_learn"],
      state: "permanent",
    });
    expect((await runVariant(f)).byName("tables: agent entries only").detail).toBe(
      `S2: unexpected 00:00:00:00:00:00>${S3}`,
    );
  });

  it("fail when the NS for H2 went to more VTEPs than the FDB names", async () => {
    const ns = (await runVariant(setCount(good, "S1", 0, { probe: 2 }))).byName(
      "amplification: H1's neighbour",
    );
    expect(ns.ok).toBe(false);
    expect(ns.detail).toBe("2 VXLAN packet(s), expected 1");
  });

  it("fail when the agent did not count the unknown MAC's miss", async () => {
    // Its status after the probe (third reading) says what it said before (second).
    const before = good.calls["S1-agent"]!["cat /run/vxlan-agent/status.json"]![1]!.json as Record<
      string,
      unknown
    >;
    const f = editStatus(good, "S1-agent", (s) => ({ ...s, unknown: before.unknown }), 2);
    expect((await runVariant(f)).byName("unknown MAC").detail).toBe(
      "0 unknown L2 miss(es) counted, no entry installed",
    );
  });

  it("fail, not pass, when S1's FDB cannot be read after the unknown MAC's probe", async () => {
    const f = structuredClone(good);
    const reads = f.calls.S1![FDB]!;
    f.calls.S1![FDB] = [reads[0]!, { code: 1, stderr: 'Cannot find device "vxlan100"' }];
    const miss = (await runVariant(f)).byName("unknown MAC");
    expect(miss.ok).toBe(false);
    expect(miss.detail).toBe(`S1: ${FDB} exited 1: Cannot find device "vxlan100"`);
  });

  it("fail when the agent installed an entry for the unknown MAC", async () => {
    const f = addToTable(good, "S1", FDB, {
      mac: "50:54:33:00:00:fe",
      dst: S3,
      flags: ["self", "extern_learn"],
      state: "permanent",
    });
    expect((await runVariant(f)).byName("unknown MAC").detail).toBe(
      "2 unknown L2 miss(es) counted, an entry was installed",
    );
  });
});
