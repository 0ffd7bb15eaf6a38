// Which Docker engine holds each node, and how links between engines are made.
// Pure: the stack config names the engines and a placement rule; this places
// every node and turns each link whose ends sit on different engines into a
// point-to-point tunnel between the two engines' hosts.
import { Address4, Address6 } from "ip-address";
import { z } from "zod";
import { LIMITS } from "./constants";
import type { Engine, LabNode, Link, LinkTunnel, Topology } from "./types";

/** The engine of a lab that names none: DOCKER_HOST, or the local socket. */
export const DEFAULT_ENGINE = "default";

/**
 * Tunnels between engine hosts use their own UDP port: not 4789, which the
 * lab's overlay uses inside the nodes and Docker's swarm overlay on hosts,
 * so a capture on an engine host tells the two apart.
 */
export const TUNNEL_PORT = 14789;

/** Outer header + UDP 8 + VXLAN 8 + inner Ethernet 14, by the engine hosts' address family. */
export const TUNNEL_OVERHEAD = { 4: 20 + 30, 6: 40 + 30 } as const;

/** The path MTU between engine hosts when the config gives none: plain Ethernet. */
export const ENGINE_MTU_DEFAULT = 1500;

const ENGINE_NAME = /^[a-z0-9][a-z0-9-]{0,15}$/;
const ENDPOINT_FORMS =
  "unix:///path/to/docker.sock, tcp://host:port (TLS when tls names a directory with ca.pem, cert.pem, key.pem) or ssh://user@host[:port]";

export type EnginePlacementRule = "first" | "spread";

/** As the stack config gives it: an endpoint string, or an object. */
export interface EngineSpec {
  endpoint?: string;
  /** The engine host's address as the other engines' hosts reach it (the tunnels' far end). */
  address?: string;
  /** Path MTU of the network between the engine hosts. */
  mtu?: number;
  /** tcp:// only: a directory with ca.pem, cert.pem and key.pem. */
  tls?: string;
}

export interface EnginesSpec {
  engines?: Record<string, string | EngineSpec>;
  /** "first" (default): every node on the first engine; "spread"; or node -> engine. */
  enginePlacement?: EnginePlacementRule | Record<string, string>;
}

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v)));

/** The host part of a tcp:// or ssh:// endpoint when it is an IP literal: the engine host's address. */
function literalHost(endpoint: string): string | undefined {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return undefined;
  }
  if (u.protocol !== "tcp:" && u.protocol !== "ssh:") return undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  return ipFamily(host) ? host : undefined;
}

export function ipFamily(text: string): 4 | 6 | undefined {
  if (Address4.isValid(text)) return 4;
  if (Address6.isValid(text) && !text.includes("/")) return 6;
  return undefined;
}

/** What is wrong with an endpoint, or undefined when it is one of the forms the lab speaks. */
export function endpointProblem(endpoint: string, tls?: string): string | undefined {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return `is not a URL`;
  }
  if (u.protocol === "unix:") {
    if (!u.pathname || u.pathname === "/") return "names no socket path";
    if (tls !== undefined) return "is a Unix socket: tls applies to tcp:// only";
    return undefined;
  }
  if (u.protocol === "tcp:") {
    if (!u.hostname) return "names no host";
    if (!u.port) return "names no port (2375 plain, 2376 with TLS by Docker's convention)";
    return undefined;
  }
  if (u.protocol === "ssh:") {
    if (!u.hostname) return "names no host";
    if (tls !== undefined) return "is ssh://: tls applies to tcp:// only";
    return undefined;
  }
  return `uses ${u.protocol.replace(/:$/, "")}://, which the lab does not speak`;
}

const EngineObject = z.strictObject({
  endpoint: z.string().optional(),
  address: z.string().optional(),
  mtu: z.number().optional(),
  tls: z.string().optional(),
});

/** Every problem of the engines' own settings, and the engines in name order when there are none. */
export function resolveEngines(spec: EnginesSpec["engines"]): { problems: string[]; engines: Engine[] } {
  if (spec === undefined)
    return { problems: [], engines: [{ name: DEFAULT_ENGINE, mtu: ENGINE_MTU_DEFAULT }] };
  const problems: string[] = [];
  if (typeof spec !== "object" || spec === null || Array.isArray(spec) || Object.keys(spec).length === 0) {
    return {
      problems: [
        `engines must map engine names to Docker endpoints, e.g. {"a": "unix:///var/run/docker.sock", "b": {"endpoint": "ssh://lab@2001:db8::2", "address": "2001:db8::2"}}, got ${show(spec)}`,
      ],
      engines: [],
    };
  }
  const engines: Engine[] = [];
  // Name order: Pulumi hands objects over with their keys sorted, so that is the order a user can rely on.
  for (const name of Object.keys(spec).sort()) {
    const raw = spec[name];
    const where = `engine ${JSON.stringify(name)}`;
    if (!ENGINE_NAME.test(name)) {
      problems.push(
        `${where}: engine names are 1 to 16 lower-case letters, digits or "-", not starting with "-"`,
      );
    }
    const parsed =
      typeof raw === "string"
        ? { success: true as const, data: { endpoint: raw } }
        : EngineObject.safeParse(raw);
    if (!parsed.success) {
      problems.push(
        `${where} must be an endpoint string or an object with endpoint, address, mtu and tls (strings, mtu a number), got ${show(raw)}`,
      );
      continue;
    }
    const e = parsed.data;
    if (e.endpoint === undefined) {
      problems.push(`${where} names no endpoint; valid forms: ${ENDPOINT_FORMS}`);
    } else {
      const p = endpointProblem(e.endpoint, e.tls);
      if (p)
        problems.push(
          `${where}: endpoint ${JSON.stringify(e.endpoint)} ${p}; valid forms: ${ENDPOINT_FORMS}`,
        );
    }
    const address = e.address ?? (e.endpoint ? literalHost(e.endpoint) : undefined);
    if (e.address !== undefined && !ipFamily(e.address)) {
      problems.push(
        `${where}: address ${JSON.stringify(e.address)} is not an IPv4 or IPv6 address (no prefix length)`,
      );
    }
    const mtu = e.mtu ?? ENGINE_MTU_DEFAULT;
    if (!Number.isInteger(mtu) || mtu < 1280 || mtu > 65535) {
      problems.push(
        `${where}: mtu must be an integer from 1280 to 65535 (the path MTU between engine hosts), got ${show(e.mtu)}`,
      );
    }
    engines.push({
      name,
      ...(e.endpoint !== undefined ? { endpoint: e.endpoint } : {}),
      ...(e.tls !== undefined ? { tls: e.tls } : {}),
      ...(address !== undefined ? { address } : {}),
      mtu,
    });
  }
  return { problems, engines };
}

/** The parts of the lab placement follows: every node with the node whose engine it shares, if any. */
interface Placeable {
  name: string;
  kind: LabNode["kind"];
  /** A host's VTEP, an agent's VTEP: they go where it goes unless placed themselves. */
  follows?: string;
}

/**
 * Engine per node. spread: VTEP i (from 1) on engine (i-1) mod E with its
 * hosts and agent, router j on engine (j-1) mod E, the registry with R1; an
 * object places the nodes it names, hosts follow their VTEP, the rest go to
 * the first engine. An agent shares its VTEP's namespace and cannot be
 * placed apart from it.
 */
export function placeNodes(
  nodes: readonly Placeable[],
  engines: readonly Engine[],
  rule: EnginesSpec["enginePlacement"],
): { problems: string[]; engineOf: Map<string, string> } {
  const problems: string[] = [];
  const engineOf = new Map<string, string>();
  const names = engines.map((e) => e.name);
  const first = names[0] ?? DEFAULT_ENGINE;
  const nth = (i: number) => names[i % names.length] ?? first;
  const index = (n: string) => Number(n.replace(/^\D+/, "")) - 1;
  const explicit = typeof rule === "object" && rule !== null ? rule : undefined;
  if (rule !== undefined && rule !== "first" && rule !== "spread" && !explicit) {
    problems.push(
      `enginePlacement must be "first" (every node on the first engine), "spread" (VTEP i with its hosts on engine i mod E, routers spread too) or an object mapping node names to engines, got ${show(rule)}`,
    );
  }
  if (explicit) {
    const known = new Set(nodes.map((n) => n.name));
    for (const [node, engine] of Object.entries(explicit)) {
      const n = nodes.find((x) => x.name === node);
      if (!known.has(node)) {
        problems.push(
          `enginePlacement names node ${JSON.stringify(node)}, which the lab does not have; nodes: ${nodes
            .filter((x) => x.kind !== "agent")
            .map((x) => x.name)
            .join(", ")}`,
        );
      } else if (n?.kind === "agent") {
        problems.push(
          `enginePlacement cannot place ${node}: an agent shares its VTEP's network namespace and goes where ${n.follows ?? "its VTEP"} goes`,
        );
      }
      if (typeof engine !== "string" || !names.includes(engine)) {
        problems.push(`enginePlacement puts ${node} on engine ${show(engine)}; engines: ${names.join(", ")}`);
      }
    }
  }
  const own = (n: Placeable): string | undefined => {
    if (explicit) return n.kind === "agent" ? undefined : explicit[n.name];
    if (rule !== "spread") return first;
    if (n.kind === "vtep" || n.kind === "router") return nth(index(n.name));
    if (n.kind === "registry") return first;
    return undefined;
  };
  for (const n of nodes) {
    const placed = own(n);
    if (placed !== undefined) engineOf.set(n.name, placed);
  }
  for (const n of nodes) {
    if (engineOf.has(n.name)) continue;
    engineOf.set(n.name, (n.follows !== undefined ? engineOf.get(n.follows) : undefined) ?? first);
  }
  return { problems, engineOf };
}

/** FNV-1a, 24 bits: a tunnel's VNI from the stack and the link, the same on every run. */
export function tunnelVni(project: string, stack: string, link: string): number {
  let h = 0x811c9dc5;
  for (const ch of Buffer.from(`${project}/${stack}/${link}`)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0xffffff || 1;
}

/** The tunnels a placement needs and the largest underlay MTU they carry whole, with problems. */
export function tunnelsFor(
  links: readonly Link[],
  engineOf: ReadonlyMap<string, string>,
  engines: readonly Engine[],
  ids: { project: string; stack: string },
): { problems: string[]; tunnels: Map<string, LinkTunnel>; maxMtu?: number } {
  const problems: string[] = [];
  const tunnels = new Map<string, LinkTunnel>();
  const byName = new Map(engines.map((e) => [e.name, e]));
  const missing = new Set<string>();
  let maxMtu: number | undefined;
  for (const l of links) {
    const ea = byName.get(engineOf.get(l.a.node) ?? "");
    const eb = byName.get(engineOf.get(l.b.node) ?? "");
    if (!ea || !eb || ea === eb) continue;
    for (const e of [ea, eb]) if (e.address === undefined) missing.add(e.name);
    if (ea.address === undefined || eb.address === undefined) continue;
    const fa = ipFamily(ea.address);
    const fb = ipFamily(eb.address);
    if (!fa || !fb) continue;
    if (fa !== fb) {
      problems.push(
        `link ${l.name} joins engines ${ea.name} (IPv${fa} ${ea.address}) and ${eb.name} (IPv${fb} ${eb.address}): a tunnel needs both engine addresses in one family`,
      );
      continue;
    }
    const fit = Math.min(ea.mtu, eb.mtu) - TUNNEL_OVERHEAD[fa];
    maxMtu = Math.min(maxMtu ?? fit, fit);
    tunnels.set(l.name, {
      vni: tunnelVni(ids.project, ids.stack, l.name),
      port: TUNNEL_PORT,
      aEngine: ea.name,
      bEngine: eb.name,
      aRemote: eb.address,
      bRemote: ea.address,
    });
  }
  for (const name of missing) {
    problems.push(
      `engine ${JSON.stringify(name)} holds an end of a link to another engine, so it needs an address: the IP its host is reached at by the other engines' hosts, e.g. {"endpoint": "...", "address": "2001:db8::2"} (taken from the endpoint when that is tcp:// or ssh:// to an IP)`,
    );
  }
  if (maxMtu !== undefined && maxMtu < LIMITS.mtu.min) {
    problems.push(
      `the tunnels between engines carry at most ${maxMtu} bytes (engine mtu less the tunnel's overhead), under the lab's minimum underlay MTU ${LIMITS.mtu.min}: raise the engines' mtu (the path MTU between their hosts) to at least ${LIMITS.mtu.min + TUNNEL_OVERHEAD[6]} (IPv6 engine addresses) or ${LIMITS.mtu.min + TUNNEL_OVERHEAD[4]} (IPv4)`,
    );
  }
  return { problems, tunnels, maxMtu };
}

/** A node's engine; labs deployed before engines existed have them all on the default one. */
export function engineOf(t: Pick<Topology, "engines">, node: Pick<LabNode, "engine">): Engine {
  const name = node.engine ?? DEFAULT_ENGINE;
  return t.engines?.find((e) => e.name === name) ?? { name, mtu: ENGINE_MTU_DEFAULT };
}

/** How to reach an engine: absent for the default (DOCKER_HOST or the local socket). */
export interface EngineAccess {
  endpoint: string;
  tls?: string;
}

export function engineAccess(e: Engine): EngineAccess | undefined {
  return e.endpoint === undefined ? undefined : { endpoint: e.endpoint, ...(e.tls ? { tls: e.tls } : {}) };
}

/** A node's container and the engine that holds it, for the Docker layer. */
export function nodeTarget(
  t: Pick<Topology, "nodes" | "engines">,
  name: string,
): { container: string; engine?: EngineAccess } {
  const n = t.nodes.find((x) => x.name === name);
  if (!n)
    throw new Error(
      `no node named ${JSON.stringify(name)}; nodes are ${t.nodes.map((x) => x.name).join(", ")}`,
    );
  const access = engineAccess(engineOf(t, n));
  return { container: n.container, ...(access ? { engine: access } : {}) };
}

/** The engines that hold at least one node, in config order. */
export function enginesInUse(t: Pick<Topology, "nodes" | "engines">): Engine[] {
  const used = new Set(t.nodes.map((n) => n.engine ?? DEFAULT_ENGINE));
  const all = t.engines ?? [{ name: DEFAULT_ENGINE, mtu: ENGINE_MTU_DEFAULT }];
  return all.filter((e) => used.has(e.name));
}

/** Whether the lab names its engines (otherwise: the default engine alone, as before engines existed). */
export function namesEngines(t: Pick<Topology, "engines">): boolean {
  const e = t.engines ?? [];
  return e.length > 1 || (e[0] !== undefined && e[0].name !== DEFAULT_ENGINE);
}

/** The wiring helper's container on an engine: one per engine, each name unique within the stack. */
export function wiringContainer(t: Pick<Topology, "engines" | "wiring">, engine: string): string {
  return namesEngines(t) ? `${t.wiring.container}-${engine}` : t.wiring.container;
}
