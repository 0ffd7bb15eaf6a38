/**
 * The dynamic control plane under faults (unicast-dynamic-l2): the registry
 * stopped for 30 s (its container: `up` then rewires it, and etcd's data
 * must survive), the agent's process killed (its supervisor restarts it), the
 * agent's container restarted. Each time: resynchronised (resync time
 * printed; the bound asserted is generous), no crash loop, and nothing
 * installed that the registry does not say.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentOf, agentStatus, registryEntries } from "../../src/checks/agent";
import type { CheckContext } from "../../src/checks/types";
import { docker } from "../../src/docker/client";
import { getNode } from "../../src/model";
import { bareAddress, loopbackOf } from "../../src/overlay/commands";
import { parseIpv6, solicitedNodeMac } from "../../src/agent/addr";
import { destroy, exec, failingChecks, ok, sleep, topology, until, up } from "./lab";

const variant = "unicast-dynamic-l2";
const stack = "faults-dyn-l2";
const t = topology(variant, stack);
const ctx: CheckContext = { t, exec: (node, argv) => exec(getNode(t, node).container, argv) };
const vteps = t.nodes.filter((n) => n.kind === "vtep").map((n) => n.name);
/** Generous: the agents poll every second and their leases last 10 s. */
const RESYNC_BOUND_MS = 60_000;

const statuses = () => Promise.all(vteps.map((v) => agentStatus(ctx, v).catch(() => undefined)));

/**
 * What the registry allows per MAC: a host MAC at its VTEP, and (l2) the
 * solicited-node MAC of each published address at the VTEP of the host that
 * holds it. A set: two hosts' addresses can share a solicited-node MAC.
 */
async function registryMacs(): Promise<Map<string, Set<string>>> {
  const prefix = t.registry?.keyPrefix ?? "";
  const entries = await registryEntries(ctx);
  const vtepOf = new Map(
    entries
      .filter((e) => e.key.startsWith(`${prefix}mac/`))
      .map((e) => [e.key.slice(prefix.length + 4), e.value.vtep ?? ""]),
  );
  const allowed = new Map<string, Set<string>>();
  const allow = (mac: string, vtep: string | undefined) => {
    if (vtep) (allowed.get(mac) ?? allowed.set(mac, new Set()).get(mac))?.add(vtep);
  };
  for (const [mac, vtep] of vtepOf) allow(mac, vtep);
  for (const e of entries.filter((x) => x.key.startsWith(`${prefix}ip/`))) {
    const ip = parseIpv6(e.key.slice(prefix.length + 3));
    if (ip && e.value.mac) allow(solicitedNodeMac(ip), vtepOf.get(e.value.mac));
  }
  return allowed;
}

/**
 * Entries on any VTEP's vxlan100 the registry does not back: a MAC at another
 * VTEP than the registry says, or one it does not hold. Empty when all are
 * right. `known`: what the registry held, for while it cannot be asked.
 */
async function wrongEntries(known?: Map<string, Set<string>>): Promise<string[]> {
  const reg = known ?? (await registryMacs());
  const wrong: string[] = [];
  for (const v of vteps) {
    const r = await ctx.exec(v, ["bridge", "-j", "fdb", "show", "dev", t.vxlan.device]);
    for (const e of JSON.parse(r.stdout || "[]") as { mac: string; dst?: string }[]) {
      if (!e.dst || e.mac === "00:00:00:00:00:00") continue;
      const want = reg.get(e.mac);
      if (!want?.has(e.dst))
        wrong.push(`${v}: ${e.mac} -> ${e.dst} (registry: ${want ? [...want].join(" ") : "none"})`);
    }
  }
  return wrong;
}

/** In sync: every agent up, the registry holds every host, every VTEP has every remote host's entry, none wrong. */
async function inSync(): Promise<boolean> {
  const s = await statuses();
  if (!s.every((x) => x?.registry === "up")) return false;
  const entries = await registryEntries(ctx).catch(() => []);
  if (
    !t.hosts.every((h) =>
      entries.some((e) => e.value.vtep === loopbackOf(t, h.vtep) && e.key.endsWith(h.mac)),
    )
  )
    return false;
  for (const v of vteps) {
    const r = await ctx.exec(v, ["bridge", "-j", "fdb", "show", "dev", t.vxlan.device]);
    const fdb = JSON.parse(r.stdout || "[]") as { mac: string; dst?: string }[];
    const remote = t.hosts.filter((h) => h.vtep !== v);
    if (!remote.every((h) => fdb.some((e) => e.mac === h.mac && e.dst === loopbackOf(t, h.vtep))))
      return false;
  }
  return (await wrongEntries()).length === 0;
}

/** Waits for sync; returns how long it took. */
async function resync(from: number): Promise<number> {
  const synced = await until(inSync, (x) => x, RESYNC_BOUND_MS);
  expect(synced).toBe(true);
  return Date.now() - from;
}

/** The agent of S1 keeps one PID for `ms`: no crash loop under its supervisor. */
type AgentStatus = Awaited<ReturnType<typeof agentStatus>>;

async function steady(ms = 10_000): Promise<AgentStatus[]> {
  const seen: AgentStatus[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.push(await agentStatus(ctx, "S1"));
    await sleep(1000);
  }
  return seen;
}

/**
 * What an agent that cannot reach the registry sees, for a failure message:
 * S1's route to the service address, each router's route to it, etcd's health
 * in the registry, and the tail of S1's agent log.
 */
async function whyNoRegistry(): Promise<string> {
  const reg = t.registry;
  if (!reg) return "no registry";
  const out = async (node: string, argv: string[]) => {
    const r = await ctx.exec(node, argv).catch((e: unknown) => ({ code: -1, stdout: "", stderr: String(e) }));
    return `${node}$ ${argv.join(" ")} -> ${r.code}: ${(r.stdout || r.stderr).trim().slice(0, 1500)}`;
  };
  // The router's end of its link to the registry: the external route's forwarding address is on it.
  const routerSide = (router: string) =>
    getNode(t, router).interfaces.find((i) => i.peer.node === reg.node)?.name ?? "registry";
  const lines = [
    await out("S1", ["ip", "-j", "-6", "route", "get", reg.address]),
    await out("S1", ["vtysh", "-c", "show ipv6 ospf6 route json"]),
    ...(await Promise.all(
      reg.uplinks.flatMap((u) => [
        out(u.router, ["vtysh", "-c", "show ipv6 route static json"]),
        out(u.router, ["ip", "-j", "-6", "addr", "show", "dev", routerSide(u.router)]),
        out(u.router, ["ip", "-j", "-6", "route", "get", reg.address]),
      ]),
    )),
    await out(reg.node, ["etcdctl", "endpoint", "health", "-w", "json"]),
  ];
  const logs = await docker()
    .getContainer(getNode(t, agentOf(t, "S1")).container)
    .logs({ stdout: true, stderr: true, tail: 30 })
    .catch((e: unknown) => String(e));
  return [...lines, `S1's agent, last lines:\n${String(logs)}`].join("\n");
}

const figures: string[] = [];

beforeAll(async () => {
  ok(await up(variant, stack), `up ${stack}`);
});

afterAll(async () => {
  console.log(`dynamic faults (noisy, shared machine):\n  ${figures.join("\n  ")}`);
  await destroy(variant, stack);
});

describe("dynamic control plane under faults", () => {
  it("registry container stopped for 30 s: `up` brings it back with its data, the agents resync, nothing wrong installed", async () => {
    const registry = docker().getContainer(getNode(t, t.registry?.node ?? "registry").container);
    const reg = t.registry?.node ?? "registry";
    // A key of the test's own, outside the agents' prefix: nobody writes it again, so finding it after proves the data survived.
    const marker = ["etcdctl", "get", "/faults/marker", "--print-value-only"];
    expect((await ctx.exec(reg, ["etcdctl", "put", "/faults/marker", "before-the-outage"])).code).toBe(0);
    const known = await registryMacs();
    await registry.stop({ t: 1 });
    let back = 0;
    try {
      const down = await until(statuses, (s) => s.every((x) => x?.registry === "down"));
      expect(down.map((s) => s?.registry)).toEqual(vteps.map(() => "down"));
      // Traffic between hosts already resolved goes on: the kernel keeps the agents' entries.
      const h4 = t.hosts.find((h) => h.vtep !== "S1");
      if (!h4) throw new Error("no host behind another VTEP");
      expect((await ctx.exec("H1", ["ping", "-6", "-c1", "-W2", bareAddress(h4)])).code).toBe(0);
      await sleep(30_000);
      expect(await wrongEntries(known)).toEqual([]);
    } finally {
      await registry.start();
      back = Date.now();
    }
    // A started container has a new namespace: its link and etcd come back with `up`.
    const repair = await up(variant, stack);
    if (repair.code !== 0)
      throw new Error(
        `up after the registry outage failed\n${repair.out.slice(-3000)}\n${await whyNoRegistry()}`,
      );
    const ms = await resync(back);
    figures.push(
      `registry outage: start -> in sync ${(ms / 1000).toFixed(1)} s (the repairing up took ${(repair.ms / 1000).toFixed(1)} s)`,
    );
    // etcd's data survived the stop: the marker is still there.
    expect((await ctx.exec(reg, marker)).stdout.trim()).toBe("before-the-outage");
    expect(ms).toBeLessThan(RESYNC_BOUND_MS + repair.ms);
    expect(await failingChecks(stack)).toEqual([]);
  });

  it("agent process killed: its supervisor restarts it once, it resyncs, nothing wrong installed", async () => {
    const before = await agentStatus(ctx, "S1");
    const killed = Date.now();
    const kill = await ctx.exec(agentOf(t, "S1"), [
      "pkill",
      "-KILL",
      "-f",
      "^node /opt/vxlan-agent/agent.js",
    ]);
    expect(kill.code).toBe(0);
    const restarted = await until(
      () => agentStatus(ctx, "S1").catch(() => undefined),
      (s) => s !== undefined && s.pid !== before.pid && s.registry === "up",
    );
    expect(restarted?.pid).not.toBe(before.pid);
    const ms = await resync(killed);
    figures.push(`agent killed: kill -> in sync ${(ms / 1000).toFixed(1)} s`);
    const pids = new Set((await steady()).map((s) => s.pid));
    expect([...pids]).toEqual([restarted?.pid]);
    expect(await wrongEntries()).toEqual([]);
  });

  it("agent container restarted: the agent comes back in S1's namespace, resyncs, stays up, nothing wrong installed", async () => {
    const c = docker().getContainer(getNode(t, agentOf(t, "S1")).container);
    const restarted = Date.now();
    await c.restart({ t: 1 });
    // The status file survives the restart (the container's own filesystem)
    // and the kernel keeps the entries: wait for the new agent's own status,
    // or the old one passes for in sync and its PID counts as a second one.
    const written = (s: AgentStatus | undefined) =>
      s?.startedAt !== undefined && Date.parse(s.startedAt) >= restarted - 1000;
    const fresh = await until(() => agentStatus(ctx, "S1").catch(() => undefined), written);
    expect(
      written(fresh),
      `a status written by the agent started after the restart: ${JSON.stringify(fresh)}`,
    ).toBe(true);
    const ms = await resync(restarted);
    figures.push(`agent container restarted: restart -> in sync ${(ms / 1000).toFixed(1)} s`);
    const seen = await steady();
    expect(new Set(seen.map((s) => s.pid)).size).toBe(1);
    // One slow poll under load may read "down" for a moment; the agent must end up connected.
    expect(seen.at(-1)?.registry).toBe("up");
    expect((await c.inspect()).RestartCount).toBe(0);
    expect(await wrongEntries()).toEqual([]);
    expect(await failingChecks(stack)).toEqual([]);
  });

  it("VTEP restarted: `up` remakes its agent in the VTEP's new namespace, green, nothing wrong installed", async () => {
    const agent = docker().getContainer(getNode(t, agentOf(t, "S1")).container);
    const agentBefore = (await agent.inspect()).Id;
    await docker().getContainer(getNode(t, "S1").container).restart({ t: 1 });
    const restarted = Date.now();
    const repair = await up(variant, stack);
    ok(repair, "up after S1's restart");
    expect(repair.out).toMatch(
      new RegExp(`not as the last up left them: .*${getNode(t, "S1").container}[,;]`),
    );
    const ms = await resync(restarted);
    figures.push(
      `VTEP S1 restarted: restart -> in sync ${(ms / 1000).toFixed(1)} s (the repairing up took ${(repair.ms / 1000).toFixed(1)} s)`,
    );
    // The old agent sat in S1's old namespace: a new one serves in the new.
    const now = await docker()
      .getContainer(getNode(t, agentOf(t, "S1")).container)
      .inspect();
    expect(now.Id).not.toBe(agentBefore);
    expect(await wrongEntries()).toEqual([]);
    expect(await failingChecks(stack)).toEqual([]);
  });
});
