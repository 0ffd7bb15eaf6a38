/**
 * Do the BFD timers hold at a lab size? Brings a lab up (or reads one that is
 * up), then reads every FRR node's `show bfd peers counters json` right after
 * `up` and again after the soak: a session that came up more than once flapped
 * (BFD counts from the session's creation, so a flap while the lab came up
 * shows too; evpn's withdrawal check takes the last VTEP's sessions down on
 * purpose). Also the load average over the soak, since the machine is shared.
 * Prints one markdown table row per run (variant, VTEPs, timers, session ends
 * seen of those expected and how many are not up at the end,
 * flaps by the end of up, flaps during the soak, load before / after, up time, which); the lab is destroyed unless --keep.
 * With --busy N the soak is what a test run does to a lab: meanwhile a second
 * 3-VTEP lab comes up, is checked and destroyed, over and over, the soaked lab's
 * own checks run, and N host processes spin (the tooling beside the engine).
 *
 *   node --import tsx bench/bfd-soak.ts --variant evpn --vteps 16 [--bfdInterval 100] [--soak 60] [--stack fo-b16] [--keep yes] [--busy 4]
 */
import { spawn } from "node:child_process";
import { loadavg } from "node:os";
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { stackExists } from "../src/cli/pulumi";
import { bfdCounters, type BfdSessionCounters } from "../src/faults/routers";
import { exec } from "../src/docker/exec";
import { resolveTopology, type Topology } from "../src/model";
import { benchArgs } from "./args";
import { upStack } from "./lib";

/**
 * Flaps: a session that came up more than once. (BFD also counts a down
 * before the first up, when one end starts before the other: not a flap.)
 */
const flaps = (c: BfdSessionCounters[]) => c.reduce((n, s) => n + Math.max(0, s.up - 1), 0);

/**
 * Until `ms` pass: a second lab up, checked, destroyed, again and again; the
 * soaked lab's checks; `busy` spinning host processes. Returns the rounds done.
 */
async function underLoad(stack: string, ms: number, busy: number): Promise<string> {
  const end = Date.now() + ms;
  const spinners = Array.from({ length: busy }, () =>
    spawn("node", ["-e", "for(;;){}"], { stdio: "ignore" }),
  );
  let labs = 0;
  let checks = 0;
  try {
    await Promise.all([
      (async () => {
        while (Date.now() < end) {
          await upStack(`${stack}-load`, { variant: "unicast-static-default" });
          await checkStack(`${stack}-load`);
          await destroyStack(`${stack}-load`, { keepConfig: false });
          labs++;
        }
      })(),
      (async () => {
        while (Date.now() < end) {
          await checkStack(stack);
          checks++;
        }
      })(),
    ]);
  } finally {
    for (const p of spinners) p.kill();
  }
  return `${labs} second labs, ${checks} checks, ${busy} spinning`;
}

/** Session ends not up right now, and the count expected: per VTEP one per router, twice in evpn (multihop to each reflector). */
async function notUp(t: Topology): Promise<{ notUp: string[]; expected: number }> {
  const frr = t.nodes.filter((n) => n.kind === "router" || n.kind === "vtep");
  const routers = t.nodes.filter((n) => n.kind === "router").length;
  const vteps = t.nodes.filter((n) => n.kind === "vtep").length;
  const perLink = t.variant === "evpn" ? 2 : 1;
  const bad: string[] = [];
  for (const n of frr) {
    const r = await exec(n.container, ["vtysh", "-c", "show bfd peers json"]);
    const peers = JSON.parse(r.stdout || "[]") as { peer: string; status: string; interface?: string }[];
    for (const p of peers) if (p.status !== "up") bad.push(`${n.name}->${p.interface ?? p.peer}:${p.status}`);
  }
  return { notUp: bad, expected: 2 * routers * vteps * perLink };
}

async function main() {
  const arg = benchArgs("bench/bfd-soak.ts", [
    "variant",
    "vteps",
    "bfdInterval",
    "soak",
    "stack",
    "keep",
    "busy",
  ]);
  const variant = arg("variant", "evpn");
  const vteps = Number(arg("vteps", "16"));
  const bfdInterval = arg("bfdInterval", "") || undefined;
  const soakS = Number(arg("soak", "60"));
  const stack = arg("stack", `bench-bfd-${vteps}`);
  const t = resolveTopology({
    stack,
    variant,
    vteps,
    bfdInterval: bfdInterval ? Number(bfdInterval) : undefined,
  });
  const started = Date.now();
  try {
    if (!(await stackExists(stack)) || arg("keep", "") !== "yes") {
      await upStack(stack, { variant, vteps: String(vteps), ...(bfdInterval ? { bfdInterval } : {}) });
    }
    const upS = (Date.now() - started) / 1000;
    const first = await bfdCounters(t);
    const load0 = loadavg()[0] ?? 0;
    const busy = arg("busy", "");
    const load = busy
      ? await underLoad(stack, soakS * 1000, Number(busy))
      : await new Promise<string>((r) => setTimeout(() => r("idle"), soakS * 1000));
    const last = await bfdCounters(t);
    const health = await notUp(t);
    const load1 = loadavg()[0] ?? 0;
    const flapped = last.filter((s) => s.up > 1).map((s) => `${s.node}:${s.interface || "multihop"}`);
    // evpn's withdrawal check takes the last VTEP's multihop sessions down on purpose: count the underlay's apart.
    const underlay = (c: BfdSessionCounters[]) => flaps(c.filter((x) => x.interface));
    const b = t.underlay.bfd;
    process.stdout.write(
      `| ${variant} | ${vteps} | ${b.intervalMs} ms x ${b.multiplier} | ${last.length} of ${health.expected}, ` +
        `${health.notUp.length} not up${health.notUp.length ? ` (${health.notUp.slice(0, 4).join(", ")})` : ""} | ${flaps(first)} | ` +
        `${flaps(last) - flaps(first)} (underlay ${underlay(last) - underlay(first)}) | ${load} | ` +
        `${load0.toFixed(1)} / ${load1.toFixed(1)} | ${upS.toFixed(0)} s | ` +
        `${flapped.slice(0, 6).join(", ")}${flapped.length > 6 ? ", ..." : ""} |\n`,
    );
  } finally {
    if (arg("keep", "") !== "yes") await destroyStack(stack, { keepConfig: false });
  }
}

void main();
