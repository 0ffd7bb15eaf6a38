import { describe, expect, it } from "vitest";
import { fdbAppend, fdbDel, fdbReplace, neighDel, neighReplace } from "../../src/agent/commands";
import { BatchChannel, nftScript, setupNft, type run } from "../../src/agent/kernel";

describe("batch lines", () => {
  it("have the exact iproute2 syntax", () => {
    expect(fdbReplace("02:00:00:00:00:21", "vxlan100", "2001:db8:2::1").line).toBe(
      "fdb replace 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:2::1 self permanent extern_learn",
    );
    expect(fdbAppend("33:33:ff:00:00:21", "vxlan100", "2001:db8:2::1")).toEqual({
      channel: "bridge",
      line: "fdb append 33:33:ff:00:00:21 dev vxlan100 dst 2001:db8:2::1 self permanent extern_learn",
    });
    expect(fdbDel("02:00:00:00:00:21", "vxlan100", "2001:db8:2::1").line).toBe(
      "fdb del 02:00:00:00:00:21 dev vxlan100 dst 2001:db8:2::1 self",
    );
    expect(neighReplace("2001:db8:ff::21", "02:00:00:00:00:21", "vxlan100")).toEqual({
      channel: "ip",
      line: "neigh replace 2001:db8:ff::21 lladdr 02:00:00:00:00:21 dev vxlan100 nud permanent extern_learn",
    });
    expect(neighDel("2001:db8:ff::21", "vxlan100").line).toBe(
      "neigh flush to 2001:db8:ff::21/128 dev vxlan100 nud all",
    );
  });
  it("refuse anything that could break or hijack the batch process", () => {
    expect(() => fdbReplace("zz", "vxlan100", "2001:db8:2::1")).toThrow(/bad MAC/);
    expect(() => fdbReplace("02:00:00:00:00:21", "vxlan100", "2001:db8:2::1\nneigh flush all")).toThrow(
      /bad IPv6/,
    );
    expect(() => fdbReplace("02:00:00:00:00:21", "vxlan100", "2001:DB8:2::1")).toThrow(/bad IPv6/); // not canonical
    expect(() => neighReplace("2001:db8:ff::21", "02:00:00:00:00:21", "vx lan")).toThrow(/bad device/);
    expect(() => fdbDel("02:00:00:00:00:21", "vxlan100", "nud bogus")).toThrow(/bad dst/);
    expect(fdbDel("02:00:00:00:00:21", "vxlan100", "192.0.2.1").line).toContain("dst 192.0.2.1 self"); // adopted v4 dst
  });
});

describe("nft learning table", () => {
  it("is idempotent (add, flush chain, add rule) and skips the VXLAN device", () => {
    const s = nftScript("vxlan100");
    expect(s).toMatch(/^add table bridge vxlan_agent$/m);
    expect(s).toMatch(
      /^add set bridge vxlan_agent hosts6 \{ type ipv6_addr \. ether_addr; flags dynamic,timeout; timeout 5m; \}$/m,
    );
    expect(s).toMatch(/^flush chain bridge vxlan_agent learn$/m);
    expect(s).toContain(
      'iifname != "vxlan100" ip6 saddr != { ::, fe80::/10 } update @hosts6 { ip6 saddr . ether saddr }',
    );
    expect(s.indexOf("flush chain")).toBeLessThan(s.indexOf("add rule"));
  });

  /** A stand-in for the agent's `run`: `nft -f -` fails with `loadError` (once), `nft -j list set` prints `listed`. */
  function fakeNft(loadError: string | undefined, listed: string | undefined) {
    const calls: string[] = [];
    let loads = 0;
    const exec: typeof run = (cmd, args) => {
      const line = `${cmd} ${args.join(" ")}`;
      calls.push(line);
      if (line === "nft -f -" && loads++ === 0 && loadError) return Promise.reject(new Error(loadError));
      if (line.startsWith("nft -j list set")) {
        return listed === undefined
          ? Promise.reject(new Error("nft: Error: No such file or directory"))
          : Promise.resolve({ code: 0, stdout: listed, stderr: "" });
      }
      return Promise.resolve({ code: 0, stdout: "", stderr: "" });
    };
    return { exec, calls };
  }
  const setOf = (type: string[]) =>
    JSON.stringify({ nftables: [{ metainfo: {} }, { set: { family: "bridge", name: "hosts6", type } }] });

  it("raises a kernel error on load and keeps what the set learned (no delete)", async () => {
    const { exec, calls } = fakeNft(
      "nft -f -: Error: Could not process rule: Operation not permitted",
      setOf(["ipv6_addr", "ether_addr"]),
    );
    await expect(setupNft("vxlan100", exec)).rejects.toThrow("Operation not permitted");
    expect(calls.filter((c) => c.includes("delete"))).toEqual([]);
  });

  it("raises a load error when there is no set at all, without deleting anything", async () => {
    const { exec, calls } = fakeNft("nft -f -: Error: syntax error", undefined);
    await expect(setupNft("vxlan100", exec)).rejects.toThrow("syntax error");
    expect(calls.filter((c) => c.includes("delete"))).toEqual([]);
  });

  it("replaces only a set of another shape (an older agent's), then loads again", async () => {
    const { exec, calls } = fakeNft(
      "nft -f -: Error: Could not process rule: File exists",
      setOf(["ipv6_addr"]),
    );
    await setupNft("vxlan100", exec);
    expect(calls).toEqual([
      "nft -f -",
      "nft -j list set bridge vxlan_agent hosts6",
      "nft delete table bridge vxlan_agent",
      "nft -f -",
    ]);
  });
});

// Stands in for `bridge -force -batch -`: silent on success, and for a failing
// line the message then "Command failed -:<n>" on stderr; "quit" ends it.
const standIn = `n=0; while IFS= read -r l; do n=$((n+1)); case "$l" in
  quit) exit 3;;
  *bad*) echo "Error: $l is bad" >&2; echo "Command failed -:$n" >&2;;
esac; done`;

describe("batch channel", { timeout: 5000 }, () => {
  it("names the failing line from the line numbers and reports the exit", async () => {
    const errors: [string | undefined, string][] = [];
    let exited: (v: [number | null, string | null]) => void = () => undefined;
    const exit = new Promise<[number | null, string | null]>((r) => (exited = r));
    const ch = new BatchChannel(
      "bridge",
      (line, msg) => errors.push([line, msg]),
      (code, signal) => exited([code, signal]),
      ["sh", "-c", standIn],
    );
    ch.start();
    expect(ch.write(["fdb ok 1", "fdb bad 2"])).toBe(true);
    expect(ch.write(["fdb ok 3", "fdb bad 4", "quit"])).toBe(true);
    expect(await exit).toEqual([3, null]);
    expect(errors).toEqual([
      ["fdb bad 2", "Error: fdb bad 2 is bad"],
      ["fdb bad 4", "Error: fdb bad 4 is bad"],
    ]);
    expect(ch.errors).toBe(2);
    expect(ch.running).toBe(false);
    expect(ch.write(["fdb ok 5"])).toBe(false);
    // restarted, it counts lines from 1 again
    ch.start();
    const more = new Promise<void>((r) => {
      const t = setInterval(() => {
        if (errors.length === 3) {
          clearInterval(t);
          r();
        }
      }, 5);
    });
    ch.write(["fdb bad again"]);
    await more;
    expect(errors[2]).toEqual(["fdb bad again", "Error: fdb bad again is bad"]);
    expect(ch.restarts).toBe(1);
    ch.stop();
  });
});
