/**
 * Plugins a killed `pulumi up` leaves running. Pulumi starts its language
 * host and the dynamic provider in process groups of their own, so SIGKILL to
 * `up`'s group misses them: they are reparented to init and wait forever for
 * an engine that is gone (measured: 130 MB per dynamic provider, still there
 * 27 minutes later, five per run of the killed-runs suite). Each is started
 * with the address of its engine (127.0.0.1:PORT) and runs in the project's
 * directory; one whose engine no longer listens can never be used again.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { REPO_ROOT } from "../util/paths";

export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  cwd: string;
  argv: string[];
}

/** The plugin programs Pulumi starts for this project, by how their command ends. */
const PLUGIN = [/\/pulumi-language-nodejs$/, /\/@pulumi\/pulumi\/cmd\/dynamic-provider$/];

/** The engine port a plugin was started for, or undefined when the process is not one of ours. */
export function pluginEnginePort(p: ProcInfo): number | undefined {
  const program = p.argv.find((a) => PLUGIN.some((re) => re.test(a)));
  const m = /^127\.0\.0\.1:(\d+)$/.exec(p.argv.at(-1) ?? "");
  return program && m ? Number(m[1]) : undefined;
}

/**
 * Pure: the process groups to kill. A plugin of the project at `root` whose
 * parent is gone (reparented to init) and whose engine port nobody listens on.
 */
export function orphanedPluginGroups(
  procs: readonly ProcInfo[],
  listening: ReadonlySet<number>,
  root: string,
): number[] {
  const groups = procs
    .filter((p) => p.ppid === 1 && p.cwd === root && p.pgid === p.pid)
    .filter((p) => {
      const port = pluginEnginePort(p);
      return port !== undefined && !listening.has(port);
    })
    .map((p) => p.pgid);
  return [...new Set(groups)];
}

/** TCP ports in LISTEN state on 127.0.0.1, from /proc/net/tcp (state 0A). */
export function parseListening(procNetTcp: string): Set<number> {
  const ports = new Set<number>();
  for (const line of procNetTcp.split("\n").slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (state !== "0A" || !local) continue;
    const [addr, port] = local.split(":");
    if (addr === "0100007F" && port) ports.add(parseInt(port, 16));
  }
  return ports;
}

function readProc(pid: number): ProcInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name in parentheses: state ppid pgrp ...
    const [, ppid, pgid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
    return { pid, ppid: Number(ppid), pgid: Number(pgid), cwd: readlinkSync(`/proc/${pid}/cwd`), argv };
  } catch {
    // Gone meanwhile, or another user's.
    return undefined;
  }
}

/** The orphaned plugin groups of the project at `root` right now ([] where there is no /proc). */
export function findOrphanedPlugins(root: string): number[] {
  try {
    const procs = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .map((d) => readProc(Number(d)))
      .filter((p): p is ProcInfo => p !== undefined);
    return orphanedPluginGroups(procs, parseListening(readFileSync("/proc/net/tcp", "utf8")), root);
  } catch {
    return [];
  }
}

/** Kills the orphaned plugins of the project at `root`; returns how many groups were killed. */
export function reapOrphanedPlugins(root: string): number {
  let killed = 0;
  for (const pgid of findOrphanedPlugins(root)) {
    try {
      process.kill(-pgid, "SIGKILL");
      killed++;
    } catch {
      // Exited meanwhile.
    }
  }
  return killed;
}

/** Reaps this checkout's orphaned plugins, saying so when there were any. */
export function reapOrphans(root = REPO_ROOT): void {
  const n = reapOrphanedPlugins(root);
  if (n) process.stderr.write(`stopped ${n} Pulumi plugin process(es) that a killed run left behind\n`);
}
