import { describe, expect, it } from "vitest";
import { Coalescer } from "../../src/docker/batch";
import { neighLimitsFor } from "../../src/docker/host";
import {
  createScript,
  deleteScript,
  netnsBatchScript,
  parseNetnsBatch,
  parseRead,
  readScript,
  type VethSpec,
} from "../../src/docker/wiring";

const links: VethSpec[] = [
  { a: { container: "s1", pid: 11, iface: "r1" }, b: { container: "r1", pid: 21, iface: "s1" }, mtu: 9000 },
  { a: { container: "s1", pid: 11, iface: "r2" }, b: { container: "r2", pid: 22, iface: "s1" }, mtu: 9000 },
  {
    a: { container: "s1", pid: 11, iface: "h1" },
    b: {
      container: "h1",
      pid: 31,
      iface: "eth0",
      mac: "50:54:33:00:00:08",
      addresses: ["2001:db8:ff::10/64"],
    },
    mtu: 8930,
  },
];

const nsenters = (script: string) => script.split("\n").filter((l) => l.startsWith("nsenter"));

describe("wiring scripts", () => {
  it("makes every pair of a batch with one nsenter per namespace, not one per link", () => {
    const s = createScript(links);
    // S1 adds all three pairs; R1, R2 and H1 each bring their end up.
    expect(nsenters(s)).toHaveLength(4);
    expect(s).toContain("link add r1 mtu 9000 type veth peer name s1 mtu 9000 netns 21");
    expect(s).toContain("link add h1 mtu 8930 type veth peer name eth0 mtu 8930 netns 31");
  });
  it("clears leftovers before adding, and sets a host end's MAC and address before bringing it up", () => {
    const s = createScript(links);
    expect(s.indexOf("link del eth0")).toBeLessThan(s.indexOf("link add h1"));
    const mac = s.indexOf("link set eth0 address 50:54:33:00:00:08");
    const addr = s.indexOf("addr add 2001:db8:ff::10/64 dev eth0 nodad");
    const up = s.indexOf("link set eth0 up");
    expect(mac).toBeGreaterThan(s.indexOf("link add h1"));
    expect(addr).toBeGreaterThan(mac);
    expect(up).toBeGreaterThan(addr);
  });
  it("refuses a word that would reach the shell unquoted", () => {
    const bad = [{ ...links[0]!, a: { ...links[0]!.a, iface: "r1; reboot" } }];
    expect(() => createScript(bad)).toThrow(/refusing "r1; reboot"/);
  });
  it("deletes from one end only, skipping namespaces that are gone", () => {
    const s = deleteScript([
      { pid: 11, iface: "r1" },
      { pid: 11, iface: "r2" },
    ]);
    expect(nsenters(s)).toHaveLength(1);
    expect(s).toMatch(/^if \[ -e \/proc\/11\/ns\/net \]; then/);
  });
  it("reads every namespace's links as JSON in one script, a gone namespace as null", () => {
    expect(readScript([11, 21, 11]).split("\n")).toHaveLength(2);
    const m = parseRead('11 [{"ifname":"r1","mtu":9000}]\n21 null\n');
    expect(m.get(11)).toEqual([{ ifname: "r1", mtu: 9000 }]);
    expect(m.get(21)).toBeNull();
  });
});

describe("scripts run in a namespace through the helper", () => {
  it("runs each node's script from a file in its own namespace, side by side, stdin closed", () => {
    const s = netnsBatchScript([
      { pid: 11, what: "S1", script: "ip link add br100 type bridge" },
      { pid: 12, what: "S2", script: "printf 'x' | nft -f -" },
    ]);
    expect(s).toContain(
      `(nsenter -t 11 -n sh -ex "$d/0.sh" </dev/null >"$d/0.out" 2>&1; echo $? > "$d/0.rc") &`,
    );
    expect(s).toContain("printf 'x' | nft -f -");
    expect(s.split("\n").filter((l) => l.startsWith("(nsenter"))).toHaveLength(2);
  });
  it("gives every node its own exit code and output", () => {
    const r = parseNetnsBatch("@@ 0 0\n+ ip link add br100\n@@ 1 2\n+ nft -f -\nError: syntax\n", 2);
    expect(r[0]).toEqual({ code: 0, output: "+ ip link add br100\n" });
    expect(r[1]).toEqual({ code: 2, output: "+ nft -f -\nError: syntax\n" });
  });
  it("refuses a script that would end its heredoc early", () => {
    expect(() => netnsBatchScript([{ pid: 1, what: "S1", script: "VXLAN_LAB_EOS" }])).toThrow(/S1/);
  });
});

describe("coalescer", () => {
  it("runs calls that arrive together as one batch, and answers each caller", async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>(async (xs) => (batches.push(xs), xs.map((x) => x * 2)), 20, 200);
    const out = await Promise.all([1, 2, 3].map((x) => c.add(x)));
    expect(out).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await c.add(5)).toBe(10);
    expect(batches).toHaveLength(2);
  });
  it("fails every caller of a failed batch", async () => {
    const c = new Coalescer<number, number>(() => Promise.reject(new Error("helper gone")), 5, 50);
    await expect(Promise.all([c.add(1), c.add(2)])).rejects.toThrow("helper gone");
  });
});

describe("neighbour table limits", () => {
  const now = { gc_thresh1: 128, gc_thresh2: 512, gc_thresh3: 1024 };
  it("raises them to fit the lab's entries with room to spare", () => {
    expect(neighLimitsFor(4300, now)).toEqual({ gc_thresh1: 4096, gc_thresh2: 8192, gc_thresh3: 16384 });
  });
  it("never lowers them", () => {
    expect(neighLimitsFor(20, now)).toEqual(now);
  });
});
