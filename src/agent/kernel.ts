// The agent's children: one `ip monitor neigh` for misses, one `bridge -batch -`
// and one `ip -batch -` as write channels (one process for the agent's life,
// not one per entry), plus short reads of kernel tables as JSON.
// The long-lived ones use spawn: they are streams restarted on exit, which
// execa's promise-per-run adds nothing to.

import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { execa } from "execa";
import type { ExecResult } from "../util/process";
import type { Channel } from "./commands";
import { LineSplitter } from "./lines";

/** A short command; throws unless it exits 0 within the timeout. */
export async function run(
  cmd: string,
  args: string[],
  input?: string,
  timeoutMs = 5000,
): Promise<ExecResult> {
  const r = await execa(cmd, args, {
    // No input: no pipe. A command that never reads a piped stdin (bridge, ip)
    // can exit before the write lands, and execa counts that EPIPE as a failure.
    ...(input === undefined ? { stdin: "ignore" as const } : { input }),
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
    reject: false,
    stripFinalNewline: false,
  });
  const stdout = typeof r.stdout === "string" ? r.stdout : "";
  const stderr = typeof r.stderr === "string" ? r.stderr : "";
  if (r.exitCode !== 0) {
    const why = r.timedOut
      ? `timed out after ${timeoutMs} ms`
      : r instanceof Error
        ? r.message
        : `exit ${r.exitCode}`;
    throw new Error(`${cmd} ${args.join(" ")}: ${stderr.trim() || why}`);
  }
  return { code: 0, stdout, stderr };
}

/** A table as JSON, left unknown: its readers check each entry against kernel-json.ts. */
export async function runJson(cmd: string, args: string[]): Promise<unknown> {
  const { stdout } = await run(cmd, args);
  // iproute2 prints nothing at all (not "[]") for some empty tables
  if (stdout.trim() === "") return [];
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`${cmd} ${args.join(" ")}: not JSON: ${stdout.slice(0, 120)}`);
  }
}

export const readFdb = (device: string) => runJson("bridge", ["-j", "fdb", "show", "dev", device]);
export const readNeigh = (device: string) =>
  runJson("ip", ["-j", "neigh", "show", "dev", device, "nud", "all"]);
export const readBridgeFdb = (bridge: string) => runJson("bridge", ["-j", "fdb", "show", "br", bridge]);

export const NFT_TABLE = "vxlan_agent";
export const NFT_SET = "hosts6";

/**
 * The learning set: every IPv6 source a host sends from (not ::, not
 * link-local) lands in hosts6 with its MAC. Idempotent: `add` keeps an
 * existing table and set (and what they learned), the chain is flushed and
 * refilled in the same transaction.
 */
export function nftScript(device: string): string {
  const t = `bridge ${NFT_TABLE}`;
  return [
    `add table ${t}`,
    `add set ${t} ${NFT_SET} { type ipv6_addr . ether_addr; flags dynamic,timeout; timeout 5m; }`,
    `add chain ${t} learn { type filter hook prerouting priority -200; policy accept; }`,
    `flush chain ${t} learn`,
    `add rule ${t} learn iifname != "${device}" ip6 saddr != { ::, fe80::/10 } update @${NFT_SET} { ip6 saddr . ether saddr }`,
    "",
  ].join("\n");
}

/** The learning set's key, as `nft -j` names its type. */
const SET_TYPE = ["ipv6_addr", "ether_addr"];

/** true only when a learning set exists with another key than SET_TYPE (an older agent's). */
async function setHasOtherShape(exec: typeof run): Promise<boolean> {
  let listed: unknown;
  try {
    listed = JSON.parse((await exec("nft", ["-j", "list", "set", "bridge", NFT_TABLE, NFT_SET])).stdout);
  } catch {
    return false; // no such set (or table): not a shape problem
  }
  const set = (listed as { nftables?: { set?: { name?: string; type?: unknown } }[] }).nftables?.find(
    (o) => o.set?.name === NFT_SET,
  )?.set;
  return set !== undefined && JSON.stringify(set.type) !== JSON.stringify(SET_TYPE);
}

/**
 * Loads the learning table. Only a set of another shape (an older agent's)
 * is dropped and made again; any other failure is raised as the kernel gave
 * it, and what the set learned stays.
 */
export async function setupNft(device: string, exec: typeof run = run): Promise<void> {
  try {
    await exec("nft", ["-f", "-"], nftScript(device));
  } catch (err) {
    if (!(await setHasOtherShape(exec))) throw err;
    await exec("nft", ["delete", "table", "bridge", NFT_TABLE]);
    await exec("nft", ["-f", "-"], nftScript(device));
  }
}

export const readLearnedSet = () => runJson("nft", ["-j", "list", "set", "bridge", NFT_TABLE, NFT_SET]);

/**
 * A `<cmd> -force -batch -` child. iproute2 prints nothing on success and
 * "Command failed -:<n>" after the message of a failing line n (counted from
 * the child's start), so the lines written are numbered to name the culprit.
 */
export class BatchChannel {
  private child: ChildProcessWithoutNullStreams | undefined;
  private lineNo = 0;
  private readonly recent = new Map<number, string>();
  private messages: string[] = [];
  errors = 0;
  restarts = -1;

  /** @param argv the command line; tests put a stand-in here */
  constructor(
    readonly cmd: Channel,
    private readonly onError: (line: string | undefined, message: string) => void,
    private readonly onExit: (code: number | null, signal: string | null) => void,
    private readonly argv: readonly string[] = [cmd, "-force", "-batch", "-"],
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    this.restarts++;
    this.lineNo = 0;
    this.recent.clear();
    this.messages = [];
    const [file = this.cmd, ...args] = this.argv;
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const errLines = new LineSplitter(4096);
    child.stdout.resume(); // nothing expected; never let the pipe fill
    child.stderr.on("data", (d: Buffer) => errLines.push(d).forEach((l) => this.stderrLine(l)));
    child.stdin.on("error", () => undefined); // EPIPE after a crash: "close" reports it
    const gone = (code: number | null, signal: string | null) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit(code, signal);
    };
    child.on("error", (e) => {
      this.onError(undefined, `${this.cmd}: ${e.message}`);
      if (child.pid === undefined) gone(null, null); // never started: no "close" follows
    });
    child.on("close", gone);
  }

  private stderrLine(l: string): void {
    const m = /^Command failed -:(\d+)\s*$/.exec(l);
    if (!m) {
      if (this.messages.length < 8) this.messages.push(l.trim());
      return;
    }
    this.errors++;
    this.onError(this.recent.get(Number(m[1])), this.messages.join("; ") || "no message");
    this.messages = [];
  }

  /** false if the channel is down: the caller resyncs from the kernel once it is back */
  write(lines: string[]): boolean {
    const child = this.child;
    if (!child || lines.length === 0) return child !== undefined;
    for (const l of lines) {
      this.lineNo++;
      this.recent.set(this.lineNo, l);
      if (this.recent.size > 512) this.recent.delete(this.lineNo - 512);
    }
    child.stdin.write(lines.join("\n") + "\n");
    return true;
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child) {
      child.stdin.end();
      child.kill("SIGTERM");
    }
  }
}

/** `ip monitor neigh`, line by line. No -4/-6: L2 misses come as AF_INET messages, L3 ones as AF_INET6. */
export class NeighMonitor {
  private child: ChildProcessWithoutNullStreams | undefined;
  restarts = -1;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onExit: (code: number | null, signal: string | null, stderr: string) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    this.restarts++;
    const child = spawn("ip", ["monitor", "neigh"], { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    const lines = new LineSplitter(4096);
    let stderr = "";
    child.stdin.end();
    child.stdout.on("data", (d: Buffer) => lines.push(d).forEach(this.onLine));
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    const gone = (code: number | null, signal: string | null) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.onExit(code, signal, stderr.trim());
    };
    child.on("error", (e) => {
      stderr += `ip: ${e.message}`;
      if (child.pid === undefined) gone(null, null);
    });
    child.on("close", gone);
  }

  stop(): void {
    const child = this.child;
    this.child = undefined;
    child?.kill("SIGTERM");
  }
}
