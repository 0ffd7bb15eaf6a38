import { describe, expect, it } from "vitest";
import { parseMissLine } from "../../src/agent/events";
import { AgentState, KeyValue, StateOptions } from "../../src/agent/state";

const P = "/vxlan-lab/100/";
const OWN = "2001:db8:1::1";
const S2 = "2001:db8:2::1";
const S3 = "2001:db8:3::1";
const mac = (m: string, vtep: string): KeyValue => ({ key: `${P}mac/${m}`, value: JSON.stringify({ vtep }) });
const ip = (a: string, m: string, vtep: string): KeyValue => ({
  key: `${P}ip/${a}`,
  value: JSON.stringify({ mac: m, vtep }),
});

function make(mode: "l2" | "nd", extra: Partial<StateOptions> = {}) {
  let t = 1_000_000;
  const clock = { advance: (ms: number) => (t += ms) };
  const s = new AgentState({ vtep: OWN, device: "vxlan100", mode, prefix: P, now: () => t, ...extra });
  return { s, clock };
}
const text = (lines: { line: string }[]) => lines.map((l) => l.line);
const miss = (s: AgentState, line: string) => {
  const ev = parseMissLine(line, "vxlan100");
  if (!ev) throw new Error(`not a miss: ${line}`);
  return s.onMiss(ev);
};

const view = [
  mac("02:00:00:00:00:21", S2),
  mac("02:00:00:00:00:31", S3),
  mac("02:00:00:00:00:11", OWN), // our own: not in the view
  ip("2001:db8:ff::21", "02:00:00:00:00:21", S2),
  ip("2001:db8:ff::31", "02:00:00:00:00:31", S3),
  ip("2001:db8:ff::11", "02:00:00:00:00:11", OWN),
];

describe("agent state: misses", () => {
  it("turns a recorded nd-mode notification stream into batch lines", () => {
    const { s, clock } = make("nd");
    expect(s.loadView(view)).toEqual([]);
    expect(s.macs.size).toBe(2);
    expect(s.ips.size).toBe(2);
    const stream = [
      "[2026-11-24T09:36:57.242697] miss 2001:db8:ff::21 dev vxlan100 STALE",
      "miss 2001:db8:ff::21 dev vxlan100 STALE", // second NS while the first answer is in flight
      "2001:db8:ff::21 dev vxlan100 lladdr 02:00:00:00:00:21 extern_learn PERMANENT", // our own install echoed
      "miss dev vxlan100 lladdr 02:00:00:00:00:31 STALE",
      "miss dev vxlan100 lladdr 02:00:00:00:00:99 STALE",
      "miss 2001:db8:ff::99 dev vxlan100 STALE",
    ];
    const out: string[] = [];
    for (const l of stream) {
      const ev = parseMissLine(l, "vxlan100");
      if (ev) out.push(...text(s.onMiss(ev).lines));
    }
    expect(out).toEqual([
      "neigh replace 2001:db8:ff::21 lladdr 02:00:00:00:00:21 dev vxlan100 nud permanent extern_learn",
      "fdb replace 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:2::1 self permanent extern_learn",
      "fdb replace 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
    ]);
    expect(s.counters.misses).toEqual({ l2: 2, l3: 3 });
    expect(s.counters.resolved).toEqual({ l2: 1, l3: 2 });
    expect(s.counters.unknown).toEqual({ l2: 1, l3: 1 });
    // a miss for an installed entry a while later means the kernel lost it: write it again
    expect(text(miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:31 STALE").lines)).toEqual([]);
    clock.advance(1500);
    expect(text(miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:31 STALE").lines)).toEqual([
      "fdb replace 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
    ]);
  });

  it("never guesses: our own hosts and unknown addresses install nothing", () => {
    const { s } = make("nd");
    s.loadView(view);
    s.setLocal(["02:00:00:00:00:11"], ["2001:db8:ff::11"]);
    expect(miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:11 STALE")).toMatchObject({
      lines: [],
      outcome: "local",
    });
    expect(miss(s, "miss 2001:db8:ff::11 dev vxlan100 STALE")).toMatchObject({ lines: [], outcome: "local" });
    expect(s.counters.local).toEqual({ l2: 1, l3: 1 });
    expect(s.counters.unknown).toEqual({ l2: 0, l3: 0 });
    expect(s.fdb.size + s.neigh.size).toBe(0);
  });

  it("keeps memory bounded and counters right under 100,000 distinct unknown misses", () => {
    const { s } = make("nd", { unknownMemory: 256 });
    s.loadView(view);
    let lines = 0;
    let firstSeen = 0;
    for (let i = 0; i < 100_000; i++) {
      const hex = i.toString(16).padStart(6, "0");
      const m = `02:aa:00:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
      const r =
        i % 2 === 0
          ? miss(s, `miss dev vxlan100 lladdr ${m} STALE`)
          : miss(
              s,
              `miss 2001:db8:99::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)} dev vxlan100 STALE`,
            );
      lines += r.lines.length;
      if (r.firstSeen) firstSeen++;
    }
    expect(lines).toBe(0);
    expect(firstSeen).toBe(100_000);
    expect(s.counters.misses).toEqual({ l2: 50_000, l3: 50_000 });
    expect(s.counters.unknown).toEqual({ l2: 50_000, l3: 50_000 });
    expect(s.counters.resolved).toEqual({ l2: 0, l3: 0 });
    expect(s.recentUnknownSize).toBe(256);
    expect(s.fdb.size + s.neigh.size + s.multicast.size).toBe(0);
    expect(s.macs.size + s.ips.size).toBe(4);
    // the same unknown MAC again, recently seen: not "first" (it is logged once)
    const last = `02:aa:00:01:86:9e`; // i = 99998
    expect(miss(s, `miss dev vxlan100 lladdr ${last} STALE`).firstSeen).toBe(false);
  });

  it("ignores L3 misses in l2 mode (ND goes through the solicited-node entries)", () => {
    const { s } = make("l2");
    s.loadView(view);
    expect(miss(s, "miss 2001:db8:ff::21 dev vxlan100 STALE")).toMatchObject({
      lines: [],
      outcome: "ignored",
    });
    expect(s.counters.misses.l3).toBe(1);
    expect(s.neigh.size).toBe(0);
  });
});

describe("agent state: registry changes", () => {
  it("moves and deletes installed FDB and ND entries, leaves uninstalled ones to the next miss", () => {
    const { s } = make("nd");
    s.loadView(view);
    miss(s, "miss 2001:db8:ff::21 dev vxlan100 STALE");
    // MAC moves to S3: replace
    expect(text(s.applyChange(mac("02:00:00:00:00:21", S3).key, mac("02:00:00:00:00:21", S3).value))).toEqual(
      ["fdb replace 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn"],
    );
    // same value again: nothing
    expect(s.applyChange(mac("02:00:00:00:00:21", S3).key, mac("02:00:00:00:00:21", S3).value)).toEqual([]);
    // IP now points at another MAC known in the view: neigh replace, and its FDB entry at once
    const moved = ip("2001:db8:ff::21", "02:00:00:00:00:31", S3);
    expect(text(s.applyChange(moved.key, moved.value))).toEqual([
      "neigh replace 2001:db8:ff::21 lladdr 02:00:00:00:00:31 dev vxlan100 nud permanent extern_learn",
      "fdb replace 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
    ]);
    // deletes
    expect(text(s.applyChange(`${P}ip/2001:db8:ff::21`, null))).toEqual([
      "neigh flush to 2001:db8:ff::21/128 dev vxlan100 nud all",
    ]);
    expect(text(s.applyChange(`${P}mac/02:00:00:00:00:21`, null))).toEqual([
      "fdb del 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:3::1 self",
    ]);
    expect(s.fdb.has("02:00:00:00:00:21")).toBe(false);
    // a MAC that moved to us is no longer remote: its entry goes
    const ours = mac("02:00:00:00:00:31", OWN);
    expect(text(s.applyChange(ours.key, ours.value))).toEqual([
      "fdb del 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self",
    ]);
    // never installed: nothing to do
    const fresh = mac("02:00:00:00:00:41", S2);
    expect(s.applyChange(fresh.key, fresh.value)).toEqual([]);
    expect(s.macs.get("02:00:00:00:00:41")).toBe(S2);
  });

  it("treats invalid keys and values as absent and counts them", () => {
    const { s } = make("nd");
    s.loadView(view);
    miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:21 STALE");
    expect(text(s.applyChange(`${P}mac/02:00:00:00:00:21`, "garbage"))).toEqual([
      "fdb del 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:2::1 self",
    ]);
    s.applyChange(`${P}mac/zz`, JSON.stringify({ vtep: S2 }));
    s.applyChange(`${P}ip/2001:db8:ff::50`, JSON.stringify({ mac: "zz", vtep: S2 }));
    s.applyChange(`${P}mac/02:00:00:00:00:50`, JSON.stringify({ vtep: "not-an-ip; reboot" }));
    s.applyChange(`/other/mac/02:00:00:00:00:50`, JSON.stringify({ vtep: S2 }));
    expect(s.counters.invalidEntries).toBe(4);
    expect(s.macs.has("02:00:00:00:00:50")).toBe(false);
  });
});

describe("agent state: a registry that lost its leases", () => {
  // Cut off for longer than the lease TTL, the registry expires every key and
  // comes back empty; the agents then publish again, one after the other.
  const HOLD = 20_000;

  it("keeps what it installed through an empty read, until each key is published again or the hold runs out", () => {
    const { s, clock } = make("l2", { staleHoldMs: HOLD });
    s.loadView(view);
    miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:21 STALE");
    miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:31 STALE");
    expect([...s.fdb.keys()].sort()).toEqual(["02:00:00:00:00:21", "02:00:00:00:00:31"]);

    // The first read after the outage: nothing yet. No entry may go.
    expect(text(s.loadView([]))).toEqual([]);
    expect(s.staleCount).toBe(view.length);
    // S2 publishes again, as before: nothing to change in the kernel, and no longer stale.
    for (const kv of view.filter((x) => x.value.includes(S2)))
      expect(s.applyChange(kv.key, kv.value)).toEqual([]);
    // A second reconnect must not extend the hold of what is still missing.
    clock.advance(HOLD / 2);
    s.loadView(view.filter((x) => x.value.includes(S2)));
    expect(s.expireStale()).toEqual([]);

    // S3 never comes back: its MAC entry and its solicited-node entry go once the first hold ends.
    clock.advance(HOLD / 2);
    expect(text(s.expireStale()).sort()).toEqual(
      [
        "fdb del 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self",
        "fdb del 33:33:ff:00:00:31 dev vxlan100 dst 2001:db8:3::1 self",
      ].sort(),
    );
    expect(s.staleCount).toBe(0);
    // S2's host kept its entries all along, without a miss.
    expect(s.fdb.get("02:00:00:00:00:21")?.value).toBe(S2);
    expect(s.multicast.get("33:33:ff:00:00:21")).toEqual(new Set([S2]));
  });

  it("a key the read holds with another value is fixed at once, a deleted one goes at once", () => {
    const { s } = make("nd", { staleHoldMs: HOLD });
    s.loadView(view);
    miss(s, "miss 2001:db8:ff::21 dev vxlan100 STALE");
    miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:31 STALE");
    const moved = mac("02:00:00:00:00:21", S3);
    expect(text(s.loadView([moved]))).toEqual([
      "fdb replace 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
    ]);
    // stale, then deleted by a watch event: no waiting for the hold
    expect(text(s.applyChange(`${P}mac/02:00:00:00:00:31`, null))).toEqual([
      "fdb del 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self",
    ]);
  });

  it("without a hold (0), an empty read removes everything at once", () => {
    const { s } = make("nd", { staleHoldMs: 0 });
    s.loadView(view);
    miss(s, "miss dev vxlan100 lladdr 02:00:00:00:00:21 STALE");
    expect(text(s.loadView([]))).toEqual(["fdb del 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:2::1 self"]);
    expect(s.staleCount).toBe(0);
  });
});

describe("agent state: solicited-node entries", () => {
  it("l2 mode: one dst per VTEP behind each SN MAC, shared MACs appended, removed when no longer wanted", () => {
    const { s } = make("l2");
    const lines = text(
      s.loadView([
        ip("2001:db8:ff::99", "02:00:00:00:00:99", S2),
        ip("2001:db8:fe::99", "02:00:00:00:01:99", S3), // same SN MAC, other VTEP
        ip("2001:db8:fd::99", "02:00:00:00:02:99", S3), // same SN MAC, same VTEP as the one above
        ip("2001:db8:ff::1:2345", "02:00:00:00:03:99", S2),
        ip("2001:db8:ff::10", "02:00:00:00:00:10", OWN), // ours: no entry
      ]),
    );
    expect(lines.sort()).toEqual(
      [
        "fdb append 33:33:ff:00:00:99 dev vxlan100 dst 2001:db8:2::1 self permanent extern_learn",
        "fdb append 33:33:ff:00:00:99 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
        "fdb append 33:33:ff:01:23:45 dev vxlan100 dst 2001:db8:2::1 self permanent extern_learn",
      ].sort(),
    );
    expect(s.multicastCount).toBe(3);
    // S3 still has fd::99 behind this SN MAC: keep
    expect(s.applyChange(`${P}ip/2001:db8:fe::99`, null)).toEqual([]);
    expect(text(s.applyChange(`${P}ip/2001:db8:fd::99`, null))).toEqual([
      "fdb del 33:33:ff:00:00:99 dev vxlan100 dst 2001:db8:3::1 self",
    ]);
    // an IP moving VTEP moves its SN dst
    const moved = ip("2001:db8:ff::1:2345", "02:00:00:00:03:99", S3);
    expect(text(s.applyChange(moved.key, moved.value))).toEqual([
      "fdb append 33:33:ff:01:23:45 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
      "fdb del 33:33:ff:01:23:45 dev vxlan100 dst 2001:db8:2::1 self",
    ]);
    expect(text(s.applyChange(`${P}ip/2001:db8:ff::99`, null))).toEqual([
      "fdb del 33:33:ff:00:00:99 dev vxlan100 dst 2001:db8:2::1 self",
    ]);
    expect([...s.multicast.keys()]).toEqual(["33:33:ff:01:23:45"]);
  });

  it("nd mode derives no multicast entries at all", () => {
    const { s } = make("nd");
    expect(s.loadView([...view, ip("2001:db8:fe::99", "02:00:00:00:01:99", S3)])).toEqual([]);
    const more = ip("2001:db8:fe::98", "02:00:00:00:01:98", S2);
    expect(s.applyChange(more.key, more.value)).toEqual([]);
    expect(s.multicastCount).toBe(0);
  });
});

// `bridge -j fdb show dev vxlan100` and `ip -j neigh show dev vxlan100 nud all` as printed by iproute2 6.15
const kernelFdb = [
  { mac: "b6:a3:93:e5:89:df", flags: [], master: "br100", state: "permanent" },
  { mac: "02:00:00:00:00:98", dst: "2001:db8:2::1", flags: ["self"], state: "permanent" }, // not ours
  { mac: "02:00:00:00:00:21", dst: "2001:db8:2::1", flags: ["self", "extern_learn"], state: "permanent" }, // right
  { mac: "02:00:00:00:00:31", dst: "2001:db8:9::1", flags: ["self", "extern_learn"], state: "permanent" }, // wrong dst
  { mac: "02:00:00:00:00:77", dst: "2001:db8:2::1", flags: ["self", "extern_learn"], state: "permanent" }, // gone
  { mac: "02:00:00:00:00:77", dst: "2001:db8:3::1", flags: ["self", "extern_learn"], state: "permanent" }, // stray
  { mac: "33:33:ff:00:00:21", dst: "2001:db8:2::1", flags: ["self", "extern_learn"], state: "permanent" },
  { mac: "33:33:ff:00:00:21", dst: "2001:db8:3::1", flags: ["self", "extern_learn"], state: "permanent" },
  { mac: "02:00:00:00:00:66", flags: ["extern_learn"], master: "br100", state: "" }, // bridge-layer, not ours
];
const kernelNeigh = [
  { dst: "ff02::2", lladdr: "33:33:00:00:00:02", state: ["NOARP"] },
  { dst: "2001:db8:ff::98", lladdr: "02:00:00:00:00:98", state: ["PERMANENT"] }, // not ours
  { dst: "2001:db8:ff::21", lladdr: "02:00:00:00:00:21", extern_learn: null, state: ["PERMANENT"] }, // right
  { dst: "2001:db8:ff::31", lladdr: "02:00:00:00:00:99", extern_learn: null, state: ["PERMANENT"] }, // wrong MAC
  { dst: "2001:db8:ff::77", lladdr: "02:00:00:00:00:77", extern_learn: null, state: ["PERMANENT"] }, // gone
];

describe("agent state: resync", () => {
  it("adopts only extern_learn entries, changes nothing before the view is loaded", () => {
    const { s } = make("nd");
    expect(s.adopt(kernelFdb, kernelNeigh)).toEqual({ fdb: 4, neigh: 3, multicast: 2 });
    expect(s.fdb.has("02:00:00:00:00:98")).toBe(false);
    expect(s.neigh.has("2001:db8:ff::98")).toBe(false);
    expect(s.reconcile()).toEqual([]);
    expect(s.adopt("not json", null)).toEqual({ fdb: 0, neigh: 0, multicast: 0 });
  });

  it("nd mode: keeps correct entries, fixes wrong ones, removes gone ones and all multicast", () => {
    const { s } = make("nd");
    s.adopt(kernelFdb, kernelNeigh);
    const lines = text(s.loadView(view));
    expect(lines.sort()).toEqual(
      [
        "fdb del 02:00:00:00:00:77 dev vxlan100 dst 2001:db8:3::1 self",
        "fdb del 02:00:00:00:00:77 dev vxlan100 dst 2001:db8:2::1 self",
        "fdb replace 02:00:00:00:00:31 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
        "neigh replace 2001:db8:ff::31 lladdr 02:00:00:00:00:31 dev vxlan100 nud permanent extern_learn",
        "neigh flush to 2001:db8:ff::77/128 dev vxlan100 nud all",
        "fdb del 33:33:ff:00:00:21 dev vxlan100 dst 2001:db8:2::1 self",
        "fdb del 33:33:ff:00:00:21 dev vxlan100 dst 2001:db8:3::1 self",
      ].sort(),
    );
    expect(lines.join("\n")).not.toMatch(/:98/); // never touched: no extern_learn
    expect(lines.join("\n")).not.toMatch(/02:00:00:00:00:21 /); // already right
    expect([...s.fdb].map(([m, i]) => [m, i.value])).toEqual(
      expect.arrayContaining([
        ["02:00:00:00:00:21", S2],
        ["02:00:00:00:00:31", S3],
      ]),
    );
    expect(s.fdb.size).toBe(2);
    expect(s.neigh.size).toBe(2);
    // a second reconcile finds nothing left to do
    expect(s.reconcile()).toEqual([]);
  });

  it("l2 mode: removes adopted ND entries, keeps the wanted SN dst and adds the missing one", () => {
    const { s } = make("l2");
    s.adopt(kernelFdb, kernelNeigh);
    const lines = text(s.loadView(view));
    expect(lines.filter((l) => l.startsWith("neigh"))).toHaveLength(3);
    expect(lines.filter((l) => l.includes("33:33:ff"))).toEqual([
      "fdb del 33:33:ff:00:00:21 dev vxlan100 dst 2001:db8:3::1 self",
      "fdb append 33:33:ff:00:00:31 dev vxlan100 dst 2001:db8:3::1 self permanent extern_learn",
    ]);
    expect(s.neigh.size).toBe(0);
    expect(s.multicastCount).toBe(2);
  });
});
