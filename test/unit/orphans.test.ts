/** Which processes a killed `up` orphaned: Pulumi plugins of this project whose engine is gone, and nothing else. */
import { describe, expect, it } from "vitest";
import { orphanedPluginGroups, parseListening, pluginEnginePort, type ProcInfo } from "../../src/cli/orphans";

const ROOT = "/work/lab";
const language = (pid: number, port: number, over: Partial<ProcInfo> = {}): ProcInfo => ({
  pid,
  ppid: 1,
  pgid: pid,
  cwd: ROOT,
  argv: ["/home/u/.cache/vxlan-lab/pulumi/3.248.0/bin/pulumi-language-nodejs", `127.0.0.1:${port}`],
  ...over,
});
const provider = (pid: number, port: number, over: Partial<ProcInfo> = {}): ProcInfo => ({
  pid,
  ppid: 1,
  pgid: pid,
  cwd: ROOT,
  argv: ["node", `${ROOT}/node_modules/@pulumi/pulumi/cmd/dynamic-provider`, `127.0.0.1:${port}`],
  ...over,
});

describe("orphaned Pulumi plugins", () => {
  it("reads the engine port of the language host and of the dynamic provider, and of nothing else", () => {
    expect(pluginEnginePort(language(10, 40239))).toBe(40239);
    expect(pluginEnginePort(provider(11, 40239))).toBe(40239);
    expect(
      pluginEnginePort({ ...provider(12, 1), argv: ["node", "server.js", "127.0.0.1:8080"] }),
    ).toBeUndefined();
  });

  it("picks the plugins whose engine no longer listens, reparented to init, in this project", () => {
    const procs = [
      language(10, 40239),
      provider(11, 40239),
      // A live run of another stack: its engine listens.
      language(20, 35305),
      provider(21, 35305, { ppid: 20 }),
      // Another checkout's orphan is its own business.
      provider(30, 41000, { cwd: "/tmp/other" }),
      // Still has its parent: the run is ending, not killed.
      provider(40, 42000, { ppid: 39 }),
      // Not the leader of its group: killing the group would hit others.
      provider(50, 43000, { pgid: 7 }),
    ];
    expect(orphanedPluginGroups(procs, new Set([35305]), ROOT)).toEqual([10, 11]);
  });

  it("reads LISTEN sockets on 127.0.0.1 from /proc/net/tcp, not established ones or other addresses", () => {
    const tcp = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:B54D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 603220 2",
      "   1: 0100007F:9D2F 0100007F:B54D 01 00000000:00000000 00:00000000 00000000     0        0 603221 1",
      "   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 90425 2",
    ].join("\n");
    expect([...parseListening(tcp)]).toEqual([0xb54d]);
  });
});
