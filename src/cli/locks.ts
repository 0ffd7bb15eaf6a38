/**
 * Stack locks of the local backend. A `pulumi up` killed before it ends
 * leaves its lock behind, and every later `up` and `destroy` then fails with
 * "the stack is currently locked" until someone types `pulumi cancel`. A lock
 * names the process that took it: when that process ran on this machine and
 * no longer exists, the lock is stale and is released, with a message.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { DEFAULTS } from "../model";
import { parseJson } from "../util/json";
import { backendPath } from "./pulumi";

/** A lock file of the local backend: who took it, where. */
const LockInfoSchema = z.looseObject({
  pid: z.number(),
  hostname: z.string(),
  timestamp: z.string().optional(),
});
export type LockInfo = z.output<typeof LockInfoSchema>;

/** Pure: a lock is stale when it was taken on this host by a process that is gone. */
export function isStale(lock: LockInfo, here: string, alive: (pid: number) => boolean): boolean {
  return lock.hostname === here && Number.isInteger(lock.pid) && lock.pid > 0 && !alive(lock.pid);
}

/** Whether a process runs: answers signal 0 and is not a zombie left for init. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed process whose parent died too can linger as a zombie until init
  // reaps it: it answers signal 0 but holds nothing (seen after SIGKILL to `up`'s group).
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
}

const lockDir = (stack: string) => backendPath("locks", "organization", DEFAULTS.project, stack);

/** Removes the stack's stale locks; returns one message per lock released. */
export function releaseStaleLocks(stack: string, dir = lockDir(stack)): string[] {
  if (!existsSync(dir)) return [];
  const released: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    let lock: LockInfo;
    try {
      lock = parseJson(LockInfoSchema, readFileSync(join(dir, f), "utf8"), join(dir, f));
    } catch {
      continue;
    }
    if (!isStale(lock, hostname(), alive)) continue;
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, `${f}.attrs`), { force: true });
    released.push(
      `released the lock on stack ${stack} left by process ${lock.pid} (started ${lock.timestamp ?? "at an unknown time"}), which no longer runs`,
    );
  }
  return released;
}
