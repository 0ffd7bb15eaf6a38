/** Every running stack of this project, its nodes and their health, read from the engine and JSON state. */
import { z } from "zod";
import { AgentStatusSchema } from "../agent/status";
import { BgpNeighborsSchema, Ospf6NeighborsSchema } from "../checks/schemas";
import { containerAt, type EngineAccess, type Target } from "../docker/client";
import { listContainers } from "../docker/containers";
import { exec } from "../docker/exec";
import { DEFAULTS, LABEL_PREFIX, VXLAN } from "../model";
import { AGENT_FILES } from "../overlay/agent";
import { staleLinks } from "./drift";
import { knownEngines } from "./engines";
import { trackedPids } from "./pulumi";

const at = (n: NodeStatus): Target => ({ container: n.container, ...(n.engine ? { engine: n.engine } : {}) });

export interface NodeStatus {
  node: string;
  kind: string;
  container: string;
  /** The engine that holds it (absent: the default one), and its name in the lab's config. */
  engine?: EngineAccess;
  engineName?: string;
  running: boolean;
  /** Routers and VTEPs: zebra and ospf6d running. */
  frr?: boolean;
  /** Routers and VTEPs: OSPFv3 neighbours in state Full / all neighbours. */
  ospfFull?: number;
  ospfNeighbors?: number;
  /** Where bgpd runs (evpn): BGP sessions Established / all configured or accepted peers. */
  bgpEstablished?: number;
  bgpPeers?: number;
  /** VTEPs: the VXLAN device exists. */
  vxlan?: boolean;
  /** Registry: etcd answers its health check. */
  etcd?: boolean;
  /** Agents: connected to the registry, and resident memory. */
  agent?: { registry: string; rssBytes: number };
  /** Nodes with links: their interfaces besides lo, and how many of them are up. */
  links?: { total: number; up: number };
  /** Started again after it was made (`docker restart`): its links and overlay went with its old namespace. */
  restarted?: boolean;
  /** Why the node is broken; empty when healthy. */
  problems?: string[];
}

export interface StackStatus {
  stack: string;
  nodes: NodeStatus[];
}

const EtcdHealthSchema = z.array(z.looseObject({ health: z.boolean().optional() }));

const IpLinksSchema = z.array(
  z.looseObject({
    ifname: z.string(),
    flags: z.array(z.string()).optional(),
    link_type: z.string().optional(),
  }),
);

/** Status is best effort: output that is not JSON of that shape reads as nothing. */
function lenient<S extends z.ZodType>(schema: S, text: string, fallback: z.output<S>): z.output<S> {
  try {
    const r = schema.safeParse(JSON.parse(text));
    return r.success ? r.data : fallback;
  } catch {
    return fallback;
  }
}

/**
 * Links and restarts: what a node restarted behind the lab's back lacks.
 * `recorded` is the init PID the stack's state holds for it: another PID
 * means it started again since the last `up`. `scripts/lab up` repairs both.
 */
async function wiringHealth(n: NodeStatus, recorded: number | undefined): Promise<NodeStatus> {
  if (!n.running) return { ...n, problems: ["not running"] };
  if (n.kind === "wiring" || n.kind === "agent") return { ...n, problems: [] };
  // Status is read while other labs come and go: a container removed since the listing is "gone", not an error.
  const info = await containerAt(at(n))
    .container.inspect()
    .catch(() => undefined);
  if (!info) return { ...n, running: false, problems: ["gone"] };
  const restarted = recorded !== undefined && info.State.Pid !== recorded;
  const r = await exec(at(n), ["ip", "-j", "link", "show"]);
  const ifaces = lenient(IpLinksSchema, r.stdout, []).filter(
    (i) => i.link_type !== "loopback" && i.ifname !== VXLAN.device && !i.ifname.startsWith("br"),
  );
  const links = { total: ifaces.length, up: ifaces.filter((i) => i.flags?.includes("LOWER_UP")).length };
  const problems = [
    ...(restarted ? ["restarted since up"] : []),
    ...(links.total === 0
      ? ["links missing"]
      : links.up < links.total
        ? [`${links.total - links.up} link(s) down`]
        : []),
  ];
  return { ...n, links, restarted, problems };
}

async function nodeHealth(node: NodeStatus, recorded: number | undefined): Promise<NodeStatus> {
  const n = await wiringHealth(node, recorded);
  // Hosts and the wiring helper run nothing to ask after.
  if (!n.running || n.kind === "host" || n.kind === "wiring") return n;
  if (n.kind === "registry") {
    const r = await exec(at(n), ["etcdctl", "endpoint", "health", "-w", "json"]);
    return { ...n, etcd: lenient(EtcdHealthSchema, r.stdout, [])[0]?.health === true };
  }
  if (n.kind === "agent") {
    const r = await exec(at(n), ["cat", AGENT_FILES.status]);
    const st = lenient(AgentStatusSchema.nullable(), r.stdout, null);
    return { ...n, agent: { registry: st?.registry ?? "no status", rssBytes: st?.rssBytes ?? 0 } };
  }
  const frr = await exec(at(n), ["sh", "-c", "pgrep -x zebra >/dev/null && pgrep -x ospf6d >/dev/null"]);
  const ospf = await exec(at(n), ["vtysh", "-c", "show ipv6 ospf6 neighbor json"]);
  const neighbors = lenient(Ospf6NeighborsSchema, ospf.stdout, {}).neighbors ?? [];
  const out: NodeStatus = {
    ...n,
    frr: frr.code === 0,
    ospfFull: neighbors.filter((x) => x.state === "Full").length,
    ospfNeighbors: neighbors.length,
  };
  if (n.kind === "vtep") {
    out.vxlan = (await exec(at(n), ["ip", "-j", "link", "show", VXLAN.device])).code === 0;
    if (!out.vxlan) out.problems = [...(out.problems ?? []), `${VXLAN.device} absent`];
  }
  if (!out.frr) out.problems = [...(out.problems ?? []), "FRR down"];
  if ((await exec(at(n), ["pgrep", "-x", "bgpd"])).code === 0) {
    const bgp = await exec(at(n), ["vtysh", "-c", "show bgp neighbors json"]);
    const peers = Object.values(lenient(BgpNeighborsSchema, bgp.stdout, {}));
    out.bgpPeers = peers.length;
    out.bgpEstablished = peers.filter((p) => p.bgpState === "Established").length;
  }
  return out;
}

/** Every stack's status, or one stack's (its nodes alone are asked after their health). */
export async function labStatus(project = DEFAULTS.project, stack?: string): Promise<StackStatus[]> {
  const labels = {
    [`${LABEL_PREFIX}.project`]: project,
    ...(stack === undefined ? {} : { [`${LABEL_PREFIX}.stack`]: stack }),
  };
  // Every engine a lab of this checkout is deployed on; one that does not answer is left out.
  const lists = await Promise.all(
    knownEngines(project).map(async (engine) =>
      (await listContainers(labels, engine).catch(() => [])).map((c) => ({ ...c, engine })),
    ),
  );
  const stacks = new Map<string, NodeStatus[]>();
  for (const c of lists.flat()) {
    const stack = c.labels[`${LABEL_PREFIX}.stack`] ?? "?";
    const engineName = c.labels[`${LABEL_PREFIX}.engine`];
    const n: NodeStatus = {
      node: c.labels[`${LABEL_PREFIX}.node`] ?? "?",
      kind: c.labels[`${LABEL_PREFIX}.kind`] ?? "?",
      container: c.name,
      ...(c.engine ? { engine: c.engine } : {}),
      ...(engineName ? { engineName } : {}),
      running: c.state === "running",
    };
    (stacks.get(stack) ?? stacks.set(stack, []).get(stack))?.push(n);
  }
  const order = (k: string) => ["router", "registry", "vtep", "agent", "host"].indexOf(k);
  const result: StackStatus[] = [];
  for (const [stack, nodes] of [...stacks].sort(([a], [b]) => a.localeCompare(b))) {
    nodes.sort(
      (a, b) => order(a.kind) - order(b.kind) || a.node.localeCompare(b.node, "en", { numeric: true }),
    );
    // Another run may be writing that stack's state right now: unreadable means "no record", not an error.
    let pids = new Map<string, number | undefined>();
    try {
      pids = trackedPids(stack);
    } catch {
      /* no record of PIDs: restarts go unreported for this stack */
    }
    // Veths the state records that are missing or no longer paired, named on both ends' nodes.
    const broken = await staleLinks(stack).catch(() => []);
    const linkProblems = (container: string) =>
      broken.flatMap((l) =>
        l.a.container === container
          ? [`${l.a.iface} missing or unpaired`]
          : l.b.container === container
            ? [`${l.b.iface} missing or unpaired`]
            : [],
      );
    result.push({
      stack,
      nodes: await Promise.all(
        nodes.map(async (n) => {
          // A node that vanishes or stops mid-read is reported, not fatal to the whole status.
          const h = await nodeHealth(n, pids.get(n.container)).catch((err: unknown) => ({
            ...n,
            problems: [`unreadable: ${err instanceof Error ? err.message : String(err)}`],
          }));
          const more = h.running && !h.restarted ? linkProblems(n.container) : [];
          return more.length ? { ...h, problems: [...(h.problems ?? []), ...more] } : h;
        }),
      ),
    });
  }
  return result;
}

function service(n: NodeStatus): string {
  if (n.etcd !== undefined) return n.etcd ? "etcd healthy" : "etcd DOWN";
  if (n.agent) return `registry ${n.agent.registry}, ${(n.agent.rssBytes / 1e6).toFixed(0)} MB`;
  return "-";
}

export function statusTable(stacks: readonly StackStatus[]): string {
  if (stacks.length === 0) return "no lab is running (start one with `scripts/lab up <variant>`)\n";
  // The ENGINE column only when some lab spreads over named engines.
  const withEngines = stacks.some((s) => s.nodes.some((n) => n.engineName !== undefined));
  const rows = [
    [
      "STACK",
      "NODE",
      "KIND",
      ...(withEngines ? ["ENGINE"] : []),
      "CONTAINER",
      "STATE",
      "LINKS",
      "FRR",
      "OSPFv3",
      "BGP",
      "VXLAN",
      "SERVICE",
      "HEALTH",
    ],
  ];
  for (const s of stacks) {
    for (const n of s.nodes) {
      rows.push([
        s.stack,
        n.node,
        n.kind,
        ...(withEngines ? [n.engineName ?? "default"] : []),
        n.container,
        n.running ? "running" : "stopped",
        n.links === undefined ? "-" : `${n.links.up}/${n.links.total} up`,
        n.frr === undefined ? "-" : n.frr ? "up" : "DOWN",
        n.ospfNeighbors === undefined ? "-" : `${n.ospfFull}/${n.ospfNeighbors} full`,
        n.bgpPeers === undefined ? "-" : `${n.bgpEstablished}/${n.bgpPeers} established`,
        n.vxlan === undefined ? "-" : n.vxlan ? VXLAN.device : "missing",
        service(n),
        n.problems?.length ? `BROKEN: ${n.problems.join(", ")} (\`scripts/lab up\` repairs it)` : "ok",
      ]);
    }
  }
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return (
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}
