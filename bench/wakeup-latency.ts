/**
 * How late does a process on this machine wake up while something heavy runs
 * (the full test suite, a big lab)? BFD's detection time is a wake-up
 * deadline: a bfdd that sleeps past interval x multiplier without sending
 * takes its peer's session down. This samples a 10 ms sleep in a process of
 * its own while `--run` runs, and reports per minute the worst oversleep and
 * how many were over 100, 200 and 300 ms, then the worst of the run against
 * the detection times of 100 ms x 3 and 300 ms x 3, as a ratio.
 *
 *   node --import tsx bench/wakeup-latency.ts --run "CI=true bash .ci/run" [--cwd /tmp/clone] [--tag x]
 *
 * Writes bench/results/<date>-wakeup-latency[-tag].md.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../src/util/paths";
import { benchArgs } from "./args";

const SLEEP_MS = 10;
const MINUTE = 60_000;

interface Window {
  start: Date;
  worst: number;
  over: [number, number, number];
  load: number;
}

/** The sampler, run as a child so the bench's own work never delays it: one JSON line per minute. */
const SAMPLER = `
let w = { worst: 0, over: [0, 0, 0], start: Date.now() };
const tick = () => {
  const t = performance.now();
  setTimeout(() => {
    const late = performance.now() - t - ${SLEEP_MS};
    w.worst = Math.max(w.worst, late);
    [100, 200, 300].forEach((b, i) => { if (late > b) w.over[i]++; });
    if (Date.now() - w.start >= ${MINUTE}) {
      console.log(JSON.stringify({ ...w, load: require("os").loadavg()[0] }));
      w = { worst: 0, over: [0, 0, 0], start: Date.now() };
    }
    tick();
  }, ${SLEEP_MS});
};
tick();
// The last, partial minute too.
process.on("SIGTERM", () => {
  console.log(JSON.stringify({ ...w, load: require("os").loadavg()[0] }));
  process.exit(0);
});
`;

async function main(): Promise<void> {
  const arg = benchArgs("wakeup-latency", ["run", "cwd", "tag"]);
  const command = arg("run", "");
  if (!command)
    throw new Error('wakeup-latency: --run "<shell command>" is required (what to measure beside)');
  const cwd = arg("cwd", process.cwd());
  const tag = arg("tag", "");
  const windows: Window[] = [];
  const sampler = spawn(process.execPath, ["-e", SAMPLER], { stdio: ["ignore", "pipe", "inherit"] });
  sampler.stdout.setEncoding("utf8");
  let pending = "";
  sampler.stdout.on("data", (chunk: string) => {
    pending += chunk;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const l of lines.filter(Boolean)) {
      const w = JSON.parse(l) as Omit<Window, "start"> & { start: number };
      windows.push({ ...w, start: new Date(w.start) });
    }
  });
  const started = new Date();
  const loadBefore = loadavg()[0] ?? 0;
  const code = await new Promise<number>((resolve) => {
    const child = spawn("bash", ["-c", command], { cwd, stdio: "inherit" });
    child.on("exit", (c) => resolve(c ?? 1));
  });
  sampler.kill();
  await new Promise((r) => sampler.on("exit", r));

  const worst = Math.max(0, ...windows.map((w) => w.worst));
  const sum = (i: number) => windows.reduce((n, w) => n + (w.over[i] ?? 0), 0);
  const date = started.toISOString().slice(0, 10);
  const file = join(REPO_ROOT, "bench", "results", `${date}-wakeup-latency${tag ? `-${tag}` : ""}.md`);
  const rows = windows.map(
    (w) =>
      `| ${w.start.toISOString().slice(11, 19)} | ${w.worst.toFixed(0)} | ${w.over.join(" / ")} | ${w.load.toFixed(1)} |`,
  );
  writeFileSync(
    file,
    [
      `# Wake-up latency beside a heavy run (${date})`,
      "",
      `Command: \`node --import tsx bench/wakeup-latency.ts --run ${JSON.stringify(command)}${tag ? ` --tag ${tag}` : ""}\``,
      `(in ${cwd}); it exited ${code}. Started ${started.toISOString()}, load average before ${loadBefore.toFixed(1)}.`,
      `A process of its own slept ${SLEEP_MS} ms in a loop; a wake-up later than a BFD detection time would have let`,
      "a session on this machine go down for want of a packet.",
      "",
      `Worst wake-up: **${worst.toFixed(0)} ms late**; over 100 / 200 / 300 ms: ${sum(0)} / ${sum(1)} / ${sum(2)} times.`,
      `Against the detection times: ${(worst / 300).toFixed(2)} of 100 ms x 3 (300 ms), ${(worst / 900).toFixed(2)} of 300 ms x 3 (900 ms).`,
      "",
      "| minute from | worst ms late | over 100 / 200 / 300 ms | load |",
      "|---|---|---|---|",
      ...rows,
      "",
    ].join("\n"),
  );
  console.log(
    `${file}: worst ${worst.toFixed(0)} ms late in ${windows.length} window(s) of up to a minute; the run exited ${code}`,
  );
  process.exitCode = code;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
