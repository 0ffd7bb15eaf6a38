/**
 * The loss window of a fault, read from one `ping -D -O -i <interval> -c <n>`
 * run across it: pings lost (transmitted minus received, from ping's summary
 * line: a count, not a timing) and the longest time without a reply.
 */
export interface LossWindow {
  transmitted: number;
  received: number;
  lost: number;
  /** Longest time without a reply beyond the ping interval (lost pings at either end count): 0 when nothing was lost. */
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
  const replies = [...stdout.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)/gm)]
    .filter((m) => !m[0].includes("DUP!"))
    .map((m) => ({ at: Number(m[1]) * 1000, seq: Number(m[2]) }));
  // Between two replies: their time apart. Before the first and after the last
  // (a path that never came back): the pings missing there, by sequence number.
  let gap = 0;
  for (let i = 1; i < replies.length; i++)
    gap = Math.max(gap, (replies[i]?.at ?? 0) - (replies[i - 1]?.at ?? 0) - intervalMs);
  const first = replies[0]?.seq ?? transmitted + 1;
  const last = replies[replies.length - 1]?.seq ?? 0;
  gap = Math.max(gap, (first - 1) * intervalMs, (transmitted - last) * intervalMs);
  return {
    transmitted,
    received,
    lost: transmitted - received,
    darkMs: Math.max(0, Math.round(gap)),
  };
}
