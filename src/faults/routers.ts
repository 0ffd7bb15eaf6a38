/**
 * Router faults on a running lab, and what they cost: a router stopped, a
 * router cut off (every link down inside it), and a gray failure (a router
 * silently drops everything arriving on one link while its carrier stays up).
 * Used by the fault suite (test/faults) and bench/failover.ts.
 */
import { docker } from "../docker/client";
import { parseJson } from "../util/json";
import { exec } from "../docker/exec";
import { BFD_PROFILES, getNode, type LabNode, type Topology } from "../model";
import { parsePing, pingArgv, type LossWindow } from "./ping";
import { EVPN_COMMANDS, unreflected, vtysh } from "../checks/evpn";
import { BgpNeighborsSchema, FdbSchema, Ospf6NeighborsSchema, ZebraMacSchema } from "../checks/schemas";
import type { CheckContext } from "../checks/types";

export type RouterFault = "stop" | "isolate" | "drop";

/** The nftables table a gray failure lives in (netdev family: the ingress hook, before anything else). */
const DROP_TABLE = "vxlab_fault";

function router(t: Topology, name: string): LabNode {
  const n = getNode(t, name);
  if (n.kind !== "router") throw new Error(`${name} is a ${n.kind}, not a router`);
  return n;
}

async function must(container: string, argv: string[], input?: string): Promise<string> {
  const r = await exec(container, argv, input);
  if (r.code !== 0) throw new Error(`${container}: ${argv.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The router's interface toward a VTEP. */
export function ifaceToward(t: Topology, routerName: string, vtep: string): string {
  const i = router(t, routerName).interfaces.find((x) => x.peer.node === vtep);
  if (!i) throw new Error(`${routerName} has no link to ${vtep}`);
  return i.name;
}

/** The router drops every packet arriving from the VTEP (BFD, OSPF and data alike); the carrier stays up. */
export async function startDrop(t: Topology, routerName: string, vtep: string): Promise<void> {
  const dev = ifaceToward(t, routerName, vtep);
  const rules = [
    `table netdev ${DROP_TABLE} {`,
    `  chain from_${dev} { type filter hook ingress device "${dev}" priority -500; policy drop; }`,
    "}",
  ].join("\n");
  await must(router(t, routerName).container, ["nft", "-f", "-"], `${rules}\n`);
}

export async function endDrop(t: Topology, routerName: string): Promise<void> {
  await must(router(t, routerName).container, ["nft", "delete", "table", "netdev", DROP_TABLE]);
}

/** Every underlay link of the router set down inside it: its neighbours lose carrier at once. */
export async function setLinks(t: Topology, routerName: string, state: "up" | "down"): Promise<void> {
  const r = router(t, routerName);
  const script = r.interfaces.map((i) => `ip link set ${i.name} ${state}`).join("\n");
  await must(r.container, ["sh", "-ec", script]);
}

export async function stopRouter(t: Topology, routerName: string): Promise<void> {
  await docker().getContainer(router(t, routerName).container).stop();
}

/** Starts it again: a new network namespace, without its links (the lab's `up` must rewire it). */
export async function startRouter(t: Topology, routerName: string): Promise<void> {
  await docker().getContainer(router(t, routerName).container).start();
}

export interface LossRun {
  /** Pings sent, one every intervalMs. */
  count: number;
  intervalMs: number;
  /** When the fault starts, after the first ping. */
  faultAfterMs: number;
}

export const DEFAULT_RUN: LossRun = { count: 60, intervalMs: 100, faultAfterMs: 1000 };

/**
 * Pings from one host to another across a fault: `fault` runs `faultAfterMs`
 * after the first ping, and the fault stays for the rest of the run (what is
 * measured is the failover, not the repair).
 */
export async function lossAcross(
  t: Topology,
  from: string,
  to: string,
  fault: () => Promise<void>,
  run: LossRun = DEFAULT_RUN,
): Promise<LossWindow> {
  const target = hostAddress(t, to);
  const ping = exec(getNode(t, from).container, pingArgv(target, run.count, run.intervalMs));
  await new Promise((r) => setTimeout(r, run.faultAfterMs));
  await fault();
  const r = await ping;
  return parsePing(r.stdout, run.intervalMs);
}

function hostAddress(t: Topology, host: string): string {
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host named ${host}; hosts are ${t.hosts.map((x) => x.name).join(", ")}`);
  return h.address.split("/")[0] ?? "";
}

/**
 * Fresh neighbour discovery: `from` forgets every neighbour, then pings `to`.
 * The neighbour solicitation is a BUM frame, so this proves the overlay still
 * floods. Returns the neighbour entry `from` learned, or why it failed.
 */
export async function freshDiscovery(
  t: Topology,
  from: string,
  to: string,
): Promise<{ ok: boolean; detail: string }> {
  const c = getNode(t, from).container;
  const target = hostAddress(t, to);
  await must(c, ["ip", "-6", "neigh", "flush", "dev", "eth0"]);
  const ping = await exec(c, ["ping", "-n", "-c", "3", "-W", "2", target]);
  const neigh = JSON.parse(
    await must(c, ["ip", "-j", "-6", "neigh", "show", "dev", "eth0", "to", target]),
  ) as {
    lladdr?: string;
    state?: string[];
  }[];
  const mac = t.nodes.length > 0 ? (t.hosts.find((h) => h.name === to)?.mac ?? "") : "";
  const learned = neigh.find((e) => e.lladdr === mac);
  if (ping.code !== 0 || !learned) {
    return {
      ok: false,
      detail: `${from} -> ${to}: ping exit ${ping.code}, neighbour ${JSON.stringify(neigh)}`,
    };
  }
  return { ok: true, detail: `${from} resolved ${to} (${mac}, ${learned.state?.join(",") ?? "?"})` };
}

/**
 * BFD switched off (or on again) at run time on every FRR node's underlay
 * links: with it off, failover is OSPF's dead interval alone (the baseline).
 */
export async function setBfd(t: Topology, on: boolean): Promise<void> {
  await Promise.all(
    t.nodes
      .filter((n) => n.kind === "router" || n.kind === "vtep")
      .map((n) => {
        const underlay = n.interfaces.filter(
          (i) => t.links.find((l) => l.name === i.link)?.kind === "underlay",
        );
        const argv = ["vtysh", "-c", "configure terminal"];
        const cmd = on ? `ipv6 ospf6 bfd profile ${BFD_PROFILES.underlay}` : "no ipv6 ospf6 bfd";
        for (const i of underlay) argv.push("-c", `interface ${i.name}`, "-c", cmd, "-c", "exit");
        return must(n.container, argv);
      }),
  );
}

/**
 * Waits until the lab is as redundant as built: every router has a full
 * OSPFv3 adjacency with every VTEP; in evpn also an Established iBGP session
 * with every VTEP, and every VTEP holds each remote route from every
 * reflector (a VTEP that reached only one reflector, or got a route through
 * one only, loses it when that one stops). Returns what is still missing at
 * the deadline, [] once whole.
 */
export async function underlayGaps(t: Topology, deadlineMs = 30_000): Promise<string[]> {
  const vteps = t.nodes.filter((n) => n.kind === "vtep").length;
  const routers = t.nodes.filter((n) => n.kind === "router");
  const ctx: CheckContext = { t, exec: (node, argv) => exec(getNode(t, node).container, argv) };
  const gaps = async (r: LabNode): Promise<string[]> => {
    const data = await vtysh(ctx, r.name, "show ipv6 ospf6 neighbor json", Ospf6NeighborsSchema);
    const full = (data.neighbors ?? []).filter((x) => x.state === "Full").length;
    if (full < vteps) return [`${r.name}: ${full} of ${vteps} OSPFv3 adjacencies Full`];
    if (t.variant !== "evpn") return [];
    const peers = await vtysh(ctx, r.name, EVPN_COMMANDS.neighbors, BgpNeighborsSchema);
    const up = Object.values(peers).filter((p) => p.bgpState === "Established").length;
    return up < vteps ? [`${r.name}: ${up} of ${vteps} iBGP sessions Established`] : [];
  };
  // A daemon still starting (a restarted router) is a gap like any other, until the deadline.
  const orWhy = (p: Promise<string[]>) =>
    p.catch((err: unknown) => [err instanceof Error ? err.message : String(err)]);
  let missing: string[] = [];
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    missing = (await Promise.all(routers.map((r) => orWhy(gaps(r))))).flat();
    if (!missing.length && t.variant === "evpn") missing = await orWhy(unreflected(ctx));
    if (!missing.length) return [];
    await new Promise((r) => setTimeout(r, 500));
  }
  // A daemon that never came back: say what runs and what FRR logged last.
  const silent = routers.filter((r) =>
    missing.some((m) => m.startsWith(`${r.name}:`) && m.includes("is not running")),
  );
  for (const r of silent) missing.push(`${r.name}: ${await daemonEvidence(r.container)}`);
  return missing;
}

async function daemonEvidence(container: string): Promise<string> {
  const script =
    "ps -eo pid,comm; tail -n 20 /var/log/frr/frr.log; ls /var/tmp/frr/*/crashlog 2>/dev/null || true";
  const r = await exec(container, ["sh", "-c", script]);
  return `processes and the end of frr.log:\n${r.stdout}${r.stderr}`;
}

export interface BfdSessionCounters {
  node: string;
  interface: string;
  up: number;
  down: number;
}

/** Per-session up/down transitions (`show bfd peers counters json`) on every FRR node. */
export async function bfdCounters(t: Topology): Promise<BfdSessionCounters[]> {
  const per = await Promise.all(
    t.nodes
      .filter((n) => n.kind === "router" || n.kind === "vtep")
      .map(async (n) => {
        const data = JSON.parse(await must(n.container, ["vtysh", "-c", "show bfd peers counters json"])) as {
          interface: string;
          "session-up": number;
          "session-down": number;
        }[];
        return data.map((s) => ({
          node: n.name,
          interface: s.interface,
          up: s["session-up"],
          down: s["session-down"],
        }));
      }),
  );
  return per.flat();
}

/**
 * For a failover that lost too much: what the sending host's VTEP holds right
 * after, toward the far host. Its OSPFv3 neighbours, its vxlan FDB entries
 * for the far MAC (and the flood entries), and in evpn its iBGP sessions and
 * zebra's view of the MAC: enough to tell an underlay that did not reroute
 * from an overlay that lost its routes.
 */
export async function failoverEvidence(t: Topology, from: string, to: string): Promise<string> {
  const ctx: CheckContext = { t, exec: (node, argv) => exec(getNode(t, node).container, argv) };
  const src = t.hosts.find((h) => h.name === from);
  const far = t.hosts.find((h) => h.name === to);
  if (!src || !far) return `no host ${src ? to : from}`;
  const v = src.vtep;
  const read = async (what: string, f: () => Promise<string>) =>
    `${what}: ${await f().catch((e: unknown) => `unreadable (${e instanceof Error ? e.message : String(e)})`)}`;
  const parts = await Promise.all([
    read(`${v} OSPFv3`, async () => {
      const n = await vtysh(ctx, v, "show ipv6 ospf6 neighbor json", Ospf6NeighborsSchema);
      return (n.neighbors ?? []).map((x) => x.state).join(" ") || "none";
    }),
    read(`${v} fdb for ${far.mac} and flooding`, async () => {
      const r = await exec(getNode(t, v).container, ["bridge", "-j", "fdb", "show", "dev", t.vxlan.device]);
      if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim()}`);
      const fdb = parseJson(FdbSchema, r.stdout || "[]", `${v}: bridge -j fdb show`);
      const want = fdb.filter((e) => e.mac === far.mac || e.mac === "00:00:00:00:00:00");
      return want.map((e) => `${e.mac} dst ${e.dst ?? "-"}`).join(", ") || "none";
    }),
    ...(t.variant === "evpn"
      ? [
          read(`${v} iBGP`, async () => {
            const nb = await vtysh(ctx, v, EVPN_COMMANDS.neighbors, BgpNeighborsSchema);
            return Object.entries(nb)
              .map(([peer, x]) => `${peer} ${x.bgpState ?? "?"}`)
              .join(", ");
          }),
          read(`${v} zebra MAC ${far.mac}`, async () => {
            const m = (await vtysh(ctx, v, EVPN_COMMANDS.mac(t.vxlan.vni, far.mac), ZebraMacSchema))[far.mac];
            return m ? `${m.type} ${m.remoteVtep ?? m.intf ?? ""}` : "absent";
          }),
        ]
      : []),
  ]);
  return parts.join("; ");
}
