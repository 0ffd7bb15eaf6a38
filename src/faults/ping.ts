/**
 * The loss window of a fault, read from one `ping -D -O -i <interval> -c <n>`
 * run across it: pings lost (transmitted minus received, from ping's summary
 * line: a count, not a timing) and the longest time without a reply.
 */
export interface LossWindow {
  transmitted: number;
  received: number;
  lost: number;
  /** Longest gap between two replies, minus one interval: 0 when nothing was lost. */
  darkMs: number;
}

/** The ping argv for `count` pings every `intervalMs` to `target`. */
export function pingArgv(target: string, count: number, intervalMs: number): string[] {
  // -D: a timestamp per reply; -W 1: a late reply counts as lost (the fault's, not the path's).
  return ["ping", "-D", "-n", "-i", String(intervalMs / 1000), "-c", String(count), "-W", "1", target];
}

export function parsePing(stdout: string, intervalMs: number): LossWindow {
  const summary = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  if (!summary) throw new Error(`no ping summary in:\n${stdout.slice(-500)}`);
  const transmitted = Number(summary[1]);
  const received = Number(summary[2]);
  const stamps = [...stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=\d+/gm)]
    .filter((m) => !m[0].includes("DUP!"))
    .map((m) => Number(m[1]) * 1000);
  let gap = 0;
  for (let i = 1; i < stamps.length; i++) gap = Math.max(gap, (stamps[i] ?? 0) - (stamps[i - 1] ?? 0));
  return {
    transmitted,
    received,
    lost: transmitted - received,
    darkMs: Math.max(0, Math.round(gap - intervalMs)),
  };
}
