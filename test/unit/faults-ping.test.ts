import { describe, expect, it } from "vitest";
import { parsePing, pingArgv } from "../../src/faults/ping";

const reply = (t: number, seq: number, dup = false) =>
  `[${t.toFixed(6)}] 64 bytes from 2001:db8:ff::4: icmp_seq=${seq} ttl=64 time=0.1 ms${dup ? " (DUP!)" : ""}`;

describe("ping loss window", () => {
  it("counts lost pings from the summary and the longest gap between replies", () => {
    const out = [
      "PING 2001:db8:ff::4 (2001:db8:ff::4) 56 data bytes",
      reply(1000.0, 1),
      reply(1000.1, 2),
      // seq 3..11 lost: the next reply comes 1 s after the last one
      reply(1001.1, 12),
      reply(1001.2, 13),
      "",
      "--- 2001:db8:ff::4 ping statistics ---",
      "13 packets transmitted, 4 received, 69.2308% packet loss, time 1200ms",
    ].join("\n");
    expect(parsePing(out, 100)).toEqual({ transmitted: 13, received: 4, lost: 9, darkMs: 900 });
  });

  it("reports 0 dark time when nothing was lost, and ignores duplicates", () => {
    const out = [
      reply(5.0, 1),
      reply(5.0, 1, true),
      reply(5.1, 2),
      "2 packets transmitted, 2 received, +1 duplicates, 0% packet loss",
    ].join("\n");
    expect(parsePing(out, 100)).toMatchObject({ lost: 0, darkMs: 0 });
  });

  it("counts a path that never came back: the missing pings after the last reply", () => {
    const out = [
      reply(1000.0, 1),
      reply(1000.1, 2),
      "10 packets transmitted, 2 received, 80% packet loss",
    ].join("\n");
    expect(parsePing(out, 100)).toEqual({ transmitted: 10, received: 2, lost: 8, darkMs: 800 });
    expect(parsePing("5 packets transmitted, 0 received, 100% packet loss", 100).darkMs).toBe(500);
  });

  it("refuses output without a summary line", () => {
    expect(() => parsePing("ping: connect: Network is unreachable", 100)).toThrow(/no ping summary/);
  });

  it("pings every interval with a timestamp per reply", () => {
    expect(pingArgv("2001:db8:ff::4", 60, 100)).toEqual([
      "ping",
      "-D",
      "-n",
      "-i",
      "0.1",
      "-c",
      "60",
      "-W",
      "1",
      "2001:db8:ff::4",
    ]);
  });
});
