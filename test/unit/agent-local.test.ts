import { describe, expect, it } from "vitest";
import { learnedIps, localHosts, localMacs, Publisher } from "../../src/agent/local";

// `bridge -j fdb show br br100` on a VTEP with one host on a0 (iproute2 6.15)
const bridgeFdb = [
  { mac: "50:54:33:00:00:08", ifname: "a0", flags: [], master: "br100", state: "" },
  { mac: "50:54:33:00:00:09", ifname: "a1", flags: [], master: "br100", state: "stale" },
  { mac: "36:e5:73:ea:8a:dd", ifname: "a0", flags: [], master: "br100", state: "permanent" },
  { mac: "33:33:00:00:00:01", ifname: "a0", flags: ["self"], state: "permanent" },
  { mac: "33:33:ff:21:ef:d8", ifname: "br100", flags: ["self"], state: "permanent" },
  { mac: "02:00:00:00:00:99", ifname: "vxlan100", flags: [], master: "br100", state: "" }, // learned from the overlay
  { mac: "b6:a3:93:e5:89:df", ifname: "vxlan100", flags: [], master: "br100", state: "permanent" },
  {
    mac: "02:00:00:00:00:93",
    ifname: "vxlan100",
    dst: "fd00::4",
    flags: ["self", "extern_learn"],
    state: "permanent",
  },
  { mac: "01:00:5e:00:00:01", ifname: "a0", flags: [], master: "br100", state: "" }, // multicast: never a host
];

// `nft -j list set bridge vxlan_agent hosts6` (nftables 1.1.3)
const setJson = {
  nftables: [
    { metainfo: { version: "1.1.3", json_schema_version: 1 } },
    {
      set: {
        family: "bridge",
        name: "hosts6",
        table: "vxlan_agent",
        type: ["ipv6_addr", "ether_addr"],
        flags: ["timeout", "dynamic"],
        timeout: 300,
        elem: [
          { elem: { val: { concat: ["2001:db8:ff::10", "50:54:33:00:00:08"] }, expires: 299 } },
          { elem: { val: { concat: ["2001:db8:ff:0::11", "50:54:33:00:00:08"] }, expires: 250 } },
          { elem: { val: { concat: ["2001:db8:ff::12", "50:54:33:00:00:aa"] }, expires: 100 } }, // MAC not local
          { elem: { val: { concat: ["2001:db8:ff::13", "50:54:33:00:00:09"] }, expires: 100 } },
          { elem: { val: { concat: ["2001:db8:ff::13", "50:54:33:00:00:08"] }, expires: 200 } }, // newer wins
          { elem: { val: { concat: ["fe80::1", "50:54:33:00:00:08"] }, expires: 200 } },
          { elem: { val: { concat: ["garbage", "50:54:33:00:00:08"] }, expires: 200 } },
        ],
      },
    },
  ],
};

describe("local hosts from the kernel", () => {
  it("takes MACs learned on access ports only", () => {
    expect([...localMacs(bridgeFdb, "br100", "vxlan100")].sort()).toEqual([
      "50:54:33:00:00:08",
      "50:54:33:00:00:09",
    ]);
    expect(localMacs("nonsense", "br100", "vxlan100").size).toBe(0);
  });
  it("reads IP -> MAC from the nft set, newest MAC per IP, global addresses only", () => {
    const ips = learnedIps(setJson);
    expect(Object.fromEntries(ips)).toEqual({
      "2001:db8:ff::10": "50:54:33:00:00:08",
      "2001:db8:ff::11": "50:54:33:00:00:08",
      "2001:db8:ff::12": "50:54:33:00:00:aa",
      "2001:db8:ff::13": "50:54:33:00:00:08",
    });
    expect(learnedIps({ nftables: [{ set: { name: "hosts6" } }] }).size).toBe(0); // an empty set has no "elem"
  });
  it("publishes an IP only if its MAC is local", () => {
    const h = localHosts(localMacs(bridgeFdb, "br100", "vxlan100"), learnedIps(setJson));
    expect([...h.ips.keys()].sort()).toEqual(["2001:db8:ff::10", "2001:db8:ff::11", "2001:db8:ff::13"]);
  });
});

const P = "/vxlan-lab/100/";
const OWN = "2001:db8:1::1";
const hosts = (macs: string[], ips: [string, string][]) => ({ macs: new Set(macs), ips: new Map(ips) });

describe("publisher", () => {
  it("puts MACs before IPs, deletes IPs before MACs, and only what changed", () => {
    const p = new Publisher(P, OWN);
    p.setLocal(hosts(["50:54:33:00:00:08"], [["2001:db8:ff::10", "50:54:33:00:00:08"]]));
    const first = p.plan();
    expect(first.puts).toEqual([
      { key: `${P}mac/50:54:33:00:00:08`, value: '{"vtep":"2001:db8:1::1"}' },
      { key: `${P}ip/2001:db8:ff::10`, value: '{"mac":"50:54:33:00:00:08","vtep":"2001:db8:1::1"}' },
    ]);
    for (const x of first.puts) p.donePut(x.key, x.value);
    expect(p.plan()).toEqual({ puts: [], deletes: [] });
    p.setLocal(hosts([], []));
    const gone = p.plan();
    expect(gone.puts).toEqual([]);
    expect(gone.deletes.map((d) => d.key)).toEqual([`${P}ip/2001:db8:ff::10`, `${P}mac/50:54:33:00:00:08`]);
    expect(gone.deletes[1]!.value).toBe('{"vtep":"2001:db8:1::1"}'); // deleted only if still this value
  });

  it("republishes everything on a new lease and after its key vanished", () => {
    const p = new Publisher(P, OWN);
    p.setLocal(hosts(["50:54:33:00:00:08"], []));
    for (const x of p.plan().puts) p.donePut(x.key, x.value);
    p.observe(`${P}mac/50:54:33:00:00:08`, null);
    expect(p.plan().puts).toHaveLength(1);
    for (const x of p.plan().puts) p.donePut(x.key, x.value);
    p.leaseChanged();
    expect(p.plan().puts).toHaveLength(1);
  });

  it("gives a key up to another VTEP's newer claim, and takes it back once it is deleted", () => {
    const p = new Publisher(P, OWN);
    const key = `${P}mac/50:54:33:00:00:08`;
    p.setLocal(hosts(["50:54:33:00:00:08"], []));
    for (const x of p.plan().puts) p.donePut(x.key, x.value);
    // our own put echoed by the watch changes nothing
    expect(p.observe(key, '{"vtep":"2001:db8:1::1"}')).toBe(false);
    expect(p.plan()).toEqual({ puts: [], deletes: [] });
    // the host moved to S2, our bridge still remembers it: no fight, no delete of S2's key
    expect(p.observe(key, '{"vtep":"2001:db8:2::1"}')).toBe(true);
    expect(p.yieldedCount).toBe(1);
    expect(p.plan()).toEqual({ puts: [], deletes: [] });
    p.setLocal(hosts([], []));
    expect(p.plan()).toEqual({ puts: [], deletes: [] });
    // S2 withdrew it and it is ours again
    p.setLocal(hosts(["50:54:33:00:00:08"], []));
    p.observe(key, null);
    expect(p.plan().puts.map((x) => x.key)).toEqual([key]);
  });

  it("removes keys a previous run left behind for hosts that are gone", () => {
    const p = new Publisher(P, OWN);
    p.setLocal(hosts(["50:54:33:00:00:08"], []));
    p.observeAll([
      { key: `${P}mac/50:54:33:00:00:08`, value: '{"vtep":"2001:db8:1::1"}' },
      { key: `${P}mac/50:54:33:00:00:77`, value: '{"vtep":"2001:db8:1::1"}' },
      { key: `${P}mac/02:00:00:00:00:21`, value: '{"vtep":"2001:db8:2::1"}' },
    ]);
    const plan = p.plan();
    expect(plan.puts.map((x) => x.key)).toEqual([`${P}mac/50:54:33:00:00:08`]); // onto our current lease
    expect(plan.deletes).toEqual([{ key: `${P}mac/50:54:33:00:00:77`, value: '{"vtep":"2001:db8:1::1"}' }]);
  });
});
