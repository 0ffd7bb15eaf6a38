import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isStale, releaseStaleLocks } from "../../src/cli/locks";

describe("stale stack locks", () => {
  const gone = () => false;
  const running = () => true;
  it("is stale only when taken on this host by a process that no longer runs", () => {
    expect(isStale({ pid: 4242, hostname: "vm" }, "vm", gone)).toBe(true);
    expect(isStale({ pid: 4242, hostname: "vm" }, "vm", running)).toBe(false);
    // Another machine's process cannot be checked from here: its lock stays.
    expect(isStale({ pid: 4242, hostname: "other" }, "vm", gone)).toBe(false);
    expect(isStale({ pid: 0, hostname: "vm" }, "vm", gone)).toBe(false);
  });

  it("releases a dead process's lock with a message, and leaves a live one", () => {
    const dir = mkdtempSync(join(tmpdir(), "locks-"));
    mkdirSync(dir, { recursive: true });
    // A pid far above any real one is not running; our own process is.
    const dead = { pid: 2 ** 22 + 17, hostname: hostname(), timestamp: "2026-12-02T03:49:40Z" };
    writeFileSync(join(dir, "a.json"), JSON.stringify(dead));
    writeFileSync(join(dir, "a.json.attrs"), "{}");
    writeFileSync(join(dir, "b.json"), JSON.stringify({ pid: process.pid, hostname: hostname() }));
    const msgs = releaseStaleLocks("s", dir);
    expect(msgs).toEqual([
      `released the lock on stack s left by process ${dead.pid} (started 2026-12-02T03:49:40Z), which no longer runs`,
    ]);
    expect(readdirSync(dir)).toEqual(["b.json"]);
  });
});
