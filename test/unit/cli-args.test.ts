/** scripts/lab's command line parsed without running anything: which action gets which arguments. */
import { describe, expect, it } from "vitest";
import { runCli, type Actions } from "../../src/cli/args";

type Call = [name: keyof Actions, ...args: unknown[]];

/** Every command scripts/lab has: each gets a recording action, and --help must list each. */
const COMMANDS: (keyof Actions)[] = [
  "bootstrap",
  "up",
  "check",
  "destroy",
  "status",
  "exec",
  "capture",
  "graph",
  "ui",
  "test",
  "env",
  "pulumi",
];

/** Parses argv with actions that only record their call; returns the exit code, calls and output. */
async function parse(argv: string[]) {
  const calls: Call[] = [];
  const record =
    (name: keyof Actions) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return 0;
    };
  const actions = Object.fromEntries(COMMANDS.map((n) => [n, record(n)])) as unknown as Actions;
  let out = "";
  let err = "";
  const code = await runCli(actions, argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, calls, out, err };
}

describe("scripts/lab's argument parser", () => {
  it("takes options anywhere on the line: graph -o f.svg multicast", async () => {
    const r = await parse(["graph", "-o", "f.svg", "multicast"]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.calls).toEqual([["graph", "multicast", { output: "f.svg" }]]);
    expect((await parse(["graph", "multicast", "--output", "g.svg"])).calls).toEqual([
      ["graph", "multicast", { output: "g.svg" }],
    ]);
  });

  it("rejects an unknown option with exit 2, naming the valid ones", async () => {
    const r = await parse(["check", "multicast", "--jsn"]);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.err).toContain("lab: unknown option '--jsn'");
    expect(r.err).toContain("valid options: --stack <name>, --json, -h/--help");
  });

  it("rejects extra arguments with exit 2 and the usage", async () => {
    const r = await parse(["graph", "multicast", "f.svg"]);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.err).toContain("too many arguments for 'graph'");
    expect(r.err).toContain("usage: scripts/lab graph [options] <variant>");
  });

  it("rejects an unknown variant, naming the valid ones", async () => {
    const r = await parse(["up", "vxlan-magic"]);
    expect(r.code).toBe(2);
    expect(r.calls).toEqual([]);
    expect(r.err).toContain(
      'lab: unknown variant "vxlan-magic"; valid variants: multicast, unicast-static-default, unicast-static-l2',
    );
  });

  it("rejects an unknown command with exit 2, listing the commands", async () => {
    const r = await parse(["deploy"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("lab: unknown command 'deploy'");
    expect(r.err).toMatch(/^ {2}destroy \[options\] <variant> +destroy a variant/m);
  });

  it("gives the command after the node to exec, its options included, with or without --", async () => {
    expect((await parse(["exec", "multicast", "S1", "ip", "-j", "link"])).calls).toEqual([
      ["exec", "multicast", "S1", ["ip", "-j", "link"]],
    ]);
    expect((await parse(["exec", "multicast", "S1", "--", "bridge", "-j", "fdb"])).calls).toEqual([
      ["exec", "multicast", "S1", ["bridge", "-j", "fdb"]],
    ]);
    expect((await parse(["exec", "multicast", "S1"])).calls).toEqual([["exec", "multicast", "S1", []]]);
  });

  it("parses capture's options anywhere and the rest as the filter", async () => {
    const r = await parse([
      "capture",
      "-c",
      "5",
      "multicast",
      "S1",
      "r1",
      "udp",
      "-w",
      "x.pcap",
      "port",
      "4789",
    ]);
    expect(r.err).toBe("");
    expect(r.calls).toEqual([
      ["capture", "multicast", "S1", "r1", { count: 5, write: "x.pcap", filter: ["udp", "port", "4789"] }],
    ]);
    const bad = await parse(["capture", "multicast", "S1", "r1", "-c", "0"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("--count must be an integer from 1 to");
  });

  it("passes pulumi's and test's arguments through, --help included for pulumi", async () => {
    expect((await parse(["pulumi", "stack", "ls", "--json"])).calls).toEqual([
      ["pulumi", ["stack", "ls", "--json"]],
    ]);
    expect((await parse(["pulumi", "--help"])).calls).toEqual([["pulumi", ["--help"]]]);
    expect((await parse(["test", "test/unit", "--reporter", "dot"])).calls).toEqual([
      ["test", ["test/unit", "--reporter", "dot"]],
    ]);
  });

  it("ui takes a port, checked", async () => {
    expect((await parse(["ui", "evpn", "--port", "8080"])).calls).toEqual([["ui", "evpn", { port: 8080 }]]);
    expect((await parse(["ui", "evpn", "--port", "http"])).code).toBe(2);
  });

  it("--help lists every command with one line each, and per-command help runs nothing", async () => {
    const r = await parse(["--help"]);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.out).toMatch(new RegExp(`^ {2}${c}\\b.* {2}\\S`, "m"));
    for (const c of COMMANDS.filter((c) => c !== "pulumi")) {
      const h = await parse([c, "--help"]);
      expect(h.code, c).toBe(0);
      expect(h.calls, c).toEqual([]);
      expect(h.out, c).toMatch(new RegExp(`^Usage: scripts/lab ${c}\\b`));
    }
  });
});
