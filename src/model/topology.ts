import {
  CAPABILITIES,
  DEFAULTS,
  LABEL_PREFIX,
  LIMITS,
  MULTICAST_MAX_VTEPS,
  REGISTRY,
  registryLinkNet,
  RSC_GATEWAYS,
  RSC_PREFIX,
  SYSCTLS,
  VXLAN,
  VXLAN_OVERHEAD,
} from "./constants";
import { bfdTimers, type BfdTimers } from "./bfd";
import { TopologyError } from "./errors";
import type {
  Engine,
  Iface,
  LabNode,
  LabSpec,
  Link,
  NodeKind,
  OverlayHost,
  OverlaySubnet,
  RegistryParams,
  Topology,
} from "./types";
import { specFieldProblems } from "./config";
import { namesEngines, placeNodes, resolveEngines, tunnelsFor } from "./engines";
import { validateTopology } from "./validate";
import { isDynamic, isVariant, type VariantName } from "./variants";

const hex = (n: number): string => n.toString(16);

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

interface CheckedSpec {
  project: string;
  stack: string;
  variant: VariantName;
  vteps: number;
  routers: number;
  mtu: number;
  /** Whether the user chose the MTU: then tunnels between engines must carry it, not lower it. */
  mtuGiven: boolean;
  placement: number[];
  engines: Engine[];
  bfd: BfdTimers;
}

/**
 * Every problem in the spec, collected: each field against its schema
 * (config.ts), then the checks across fields that passed. Returns the checked
 * values only when there are none.
 */
function checkSpec(spec: LabSpec): { problems: string[]; checked?: CheckedSpec } {
  const { problems, bad } = specFieldProblems(spec);
  const ok = (key: keyof LabSpec) => !bad.has(key);
  const variantOk = ok("variant");
  const vteps = spec.vteps ?? DEFAULTS.vteps;
  const vtepsOk = ok("vteps");

  // Every router is a PIM router on its link to each VTEP and has its
  // register interface; Linux has 32 IPv6 multicast interfaces (MAXMIFS) per
  // namespace, so the link of a VTEP past 31 would never carry a tree.
  if (vtepsOk && variantOk && spec.variant === "multicast" && vteps > MULTICAST_MAX_VTEPS) {
    problems.push(
      `variant multicast supports at most ${MULTICAST_MAX_VTEPS} VTEPs, got ${vteps}: each router needs a multicast interface (MIF) per VTEP link plus its PIM register interface, and the kernel allows 32 per namespace (MAXMIFS)`,
    );
  }

  let placement: number[] | undefined;
  if (spec.hostsPerVtep !== undefined && spec.placement !== undefined) {
    problems.push(
      "hostsPerVtep and placement are mutually exclusive; set hostsPerVtep (same count behind every VTEP) " +
        "or placement (one count per VTEP, e.g. [1,2,1]), not both",
    );
  } else if (spec.placement !== undefined) {
    if (vtepsOk && Array.isArray(spec.placement) && spec.placement.length !== vteps) {
      problems.push(
        `placement has ${spec.placement.length} entries but vteps is ${vteps}; give one host count per VTEP`,
      );
    }
    if (ok("placement")) placement = [...spec.placement];
  } else if (spec.hostsPerVtep !== undefined) {
    if (ok("hostsPerVtep") && vtepsOk) placement = Array<number>(vteps).fill(spec.hostsPerVtep);
  } else if (vtepsOk) {
    placement =
      vteps === DEFAULTS.seedPlacement.length ? [...DEFAULTS.seedPlacement] : Array<number>(vteps).fill(1);
  }

  if (placement !== undefined) {
    const total = placement.reduce((a, b) => a + b, 0);
    if (total < LIMITS.hosts.min || total > LIMITS.hosts.max) {
      problems.push(
        `total hosts must be from ${LIMITS.hosts.min} to ${LIMITS.hosts.max}, got ${total} (placement ${placement.join(",")})`,
      );
    }
    // rsc routes between two subnets on different VTEPs; with one VTEP in use there is nothing to show.
    const used = placement.filter((n) => n > 0).length;
    if (variantOk && spec.variant === "unicast-static-rsc" && used < 2) {
      problems.push(
        `variant unicast-static-rsc needs hosts behind at least 2 VTEPs (the last one holds the ${RSC_PREFIX} subnet), got hosts behind ${used}`,
      );
    }
  }

  const engines = resolveEngines(spec.engines);
  problems.push(...engines.problems);

  if (problems.length > 0 || placement === undefined || !isVariant(spec.variant)) return { problems };
  return {
    problems,
    checked: {
      project: spec.project ?? DEFAULTS.project,
      stack: spec.stack,
      variant: spec.variant,
      vteps,
      routers: spec.routers ?? DEFAULTS.routers,
      mtu: spec.mtu ?? DEFAULTS.mtu,
      mtuGiven: spec.mtu !== undefined,
      placement,
      engines: engines.engines,
      bfd: bfdTimers(vteps, spec.bfdInterval),
    },
  };
}

function makeNode(
  c: CheckedSpec,
  name: string,
  kind: NodeKind,
  routing?: { loopback: string; routerId: string },
): LabNode {
  return {
    name,
    kind,
    container: `vxlab-${c.stack}-${name.toLowerCase()}`,
    labels: {
      [`${LABEL_PREFIX}.project`]: c.project,
      [`${LABEL_PREFIX}.stack`]: c.stack,
      [`${LABEL_PREFIX}.node`]: name,
      [`${LABEL_PREFIX}.kind`]: kind,
    },
    ...routing,
    interfaces: [],
    capabilities: [...CAPABILITIES[kind]],
    sysctls: { ...SYSCTLS[kind] },
    // Placed on an engine once the whole lab is known (placeOnEngines).
    engine: c.engines[0]?.name ?? "default",
  };
}

function build(c: CheckedSpec): Topology {
  const overlayMtu = c.mtu - VXLAN_OVERHEAD;
  const routers: LabNode[] = [];
  for (let r = 1; r <= c.routers; r++) {
    routers.push(
      makeNode(c, `R${r}`, "router", { loopback: `2001:db8:ffff::${hex(r)}`, routerId: `10.0.255.${r}` }),
    );
  }
  const vteps: LabNode[] = [];
  for (let i = 1; i <= c.vteps; i++) {
    vteps.push(makeNode(c, `S${i}`, "vtep", { loopback: `2001:db8:${hex(i)}::1`, routerId: `10.0.1.${i}` }));
  }

  const links: Link[] = [];
  let k = 1;
  for (const s of vteps) {
    for (const r of routers) {
      const net = `2001:db8:ffff:${hex(k++)}::`;
      links.push({
        name: `${s.name}-${r.name}`.toLowerCase(),
        kind: "underlay",
        a: { node: s.name, iface: r.name.toLowerCase(), address: `${net}2/64` },
        b: { node: r.name, iface: s.name.toLowerCase(), address: `${net}1/64` },
        mtu: c.mtu,
      });
    }
  }

  const rsc = c.variant === "unicast-static-rsc";
  // In rsc the seed puts H4 (behind the last VTEP) in a second subnet; generalised to the last VTEP with hosts.
  const rscVtep = c.placement.reduce((last, n, i) => (n > 0 ? i : last), -1);
  const subnets: OverlaySubnet[] = rsc
    ? [
        { prefix: VXLAN.overlayPrefix, gateway: { ...RSC_GATEWAYS.overlay } },
        { prefix: RSC_PREFIX, gateway: { ...RSC_GATEWAYS.rsc } },
      ]
    : [{ prefix: VXLAN.overlayPrefix }];

  const hosts: OverlayHost[] = [];
  const hostNodes: LabNode[] = [];
  let h = 0;
  c.placement.forEach((count, i) => {
    const vtep = vteps[i];
    if (vtep === undefined) return;
    for (let j = 0; j < count; j++, h++) {
      const name = `H${h + 1}`;
      const port = name.toLowerCase();
      const inRsc = rsc && i === rscVtep;
      const host: OverlayHost = {
        name,
        vtep: vtep.name,
        vtepPort: port,
        mac: `50:54:33:00:00:${(0x08 + h).toString(16).padStart(2, "0")}`,
        address: `2001:db8:${inRsc ? "fe" : "ff"}::${hex(0x10 + h)}/64`,
      };
      if (rsc) host.gateway = { ...(inRsc ? RSC_GATEWAYS.rsc : RSC_GATEWAYS.overlay) };
      hosts.push(host);
      hostNodes.push(makeNode(c, name, "host"));
      links.push({
        name: `${vtep.name}-${name}`.toLowerCase(),
        kind: "access",
        a: { node: vtep.name, iface: port },
        b: { node: name, iface: "eth0" },
        mtu: overlayMtu,
      });
    }
  });

  const extra: LabNode[] = [];
  let registry: RegistryParams | undefined;
  if (isDynamic(c.variant) && routers.length > 0) {
    extra.push(makeNode(c, REGISTRY.node, "registry"));
    // A link to every router: the registry stays reachable with any one left.
    routers.forEach((r, i) => {
      const net = registryLinkNet(i + 1);
      links.push({
        name: `${REGISTRY.node}-${r.name}`.toLowerCase(),
        kind: "service",
        a: { node: REGISTRY.node, iface: r.name.toLowerCase(), address: `${net}2/64` },
        b: { node: r.name, iface: REGISTRY.node, address: `${net}1/64` },
        mtu: c.mtu,
      });
    });
    const agents: Record<string, string> = {};
    for (const v of vteps) {
      const agent = makeNode(c, `${v.name}-agent`, "agent");
      agent.netns = v.name;
      extra.push(agent);
      agents[v.name] = agent.name;
    }
    registry = {
      node: REGISTRY.node,
      address: REGISTRY.address,
      uplinks: routers.map((r, i) => ({
        iface: r.name.toLowerCase(),
        router: r.name,
        gateway: `${registryLinkNet(i + 1)}1`,
      })),
      port: REGISTRY.port,
      url: `http://[${REGISTRY.address}]:${REGISTRY.port}`,
      keyPrefix: `/vxlan-lab/${VXLAN.vni}/`,
      agents,
    };
  }

  const nodes = [...routers, ...vteps, ...hostNodes, ...extra];
  const byName = new Map(nodes.map((n) => [n.name, n]));
  for (const link of links) {
    for (const [end, other] of [
      [link.a, link.b],
      [link.b, link.a],
    ] as const) {
      const iface: Iface = {
        name: end.iface,
        link: link.name,
        peer: { node: other.node, iface: other.iface },
      };
      if (end.address !== undefined) iface.address = end.address;
      byName.get(end.node)?.interfaces.push(iface);
    }
  }

  return {
    project: c.project,
    stack: c.stack,
    variant: c.variant,
    nodes,
    links,
    hosts,
    vxlan: { ...VXLAN },
    underlay: { mtu: c.mtu, bfd: { ...c.bfd } },
    overlay: { mtu: overlayMtu, subnets },
    placement: [...c.placement],
    ...(registry ? { registry } : {}),
    engines: c.engines,
    wiring: {
      container: `vxlab-${c.stack}-wiring`,
      labels: {
        [`${LABEL_PREFIX}.project`]: c.project,
        [`${LABEL_PREFIX}.stack`]: c.stack,
        [`${LABEL_PREFIX}.node`]: "wiring",
        [`${LABEL_PREFIX}.kind`]: "wiring",
      },
    },
  };
}

/**
 * Puts every node on its engine and every link between engines on a tunnel.
 * Tunnels carry less than an engine network's MTU, so the lab's underlay MTU
 * follows them when the user did not choose one (the lab is built again with
 * it: one MTU for every underlay link keeps OSPF and the overlay simple).
 */
function placeOnEngines(c: CheckedSpec, spec: LabSpec): { problems: string[]; topology: Topology } {
  let t = build(c);
  const follows = new Map<string, string>([
    ...t.hosts.map((h) => [h.name, h.vtep] as const),
    ...t.nodes.filter((n) => n.netns).map((n) => [n.name, n.netns ?? ""] as const),
  ]);
  const placed = placeNodes(
    t.nodes.map((n) => ({ name: n.name, kind: n.kind, follows: follows.get(n.name) })),
    c.engines,
    spec.enginePlacement,
  );
  const ids = { project: c.project, stack: c.stack };
  let tunnels = tunnelsFor(t.links, placed.engineOf, c.engines, ids);
  const problems = [...placed.problems, ...tunnels.problems];
  const fit = tunnels.maxMtu;
  if (fit !== undefined && c.mtu > fit) {
    if (c.mtuGiven) {
      problems.push(
        `mtu ${c.mtu} does not fit through the tunnels between engines, which carry at most ${fit} ` +
          `(the engines' mtu less the tunnel's overhead): set mtu to at most ${fit}, or raise the engines' mtu`,
      );
    } else if (problems.length === 0) {
      t = build({ ...c, mtu: fit });
      tunnels = tunnelsFor(t.links, placed.engineOf, c.engines, ids);
    }
  }
  const named = namesEngines(t);
  for (const n of t.nodes) {
    n.engine = placed.engineOf.get(n.name) ?? n.engine;
    // Status finds a node's engine name on the container itself.
    if (named) n.labels[`${LABEL_PREFIX}.engine`] = n.engine;
  }
  for (const l of t.links) {
    const tunnel = tunnels.tunnels.get(l.name);
    if (tunnel) l.tunnel = tunnel;
  }
  return { problems, topology: t };
}

/** Checks the spec, then builds the full topology. Throws TopologyError listing every problem. */
export function resolveTopology(spec: LabSpec): Topology {
  const { problems, checked } = checkSpec(spec);
  if (checked === undefined) throw new TopologyError(problems);
  const placed = placeOnEngines(checked, spec);
  if (placed.problems.length > 0) throw new TopologyError(placed.problems);
  const topology = placed.topology;
  // Catches addressing-plan bugs here rather than as a half-built lab.
  const inconsistencies = validateTopology(topology);
  if (inconsistencies.length > 0) throw new TopologyError(inconsistencies);
  return topology;
}

/** The node with that name; throws (listing valid names) if there is none. */
export function getNode(t: Topology, name: string): LabNode {
  const node = t.nodes.find((n) => n.name === name);
  if (node === undefined) {
    throw new Error(`no node named ${show(name)}; nodes are ${t.nodes.map((n) => n.name).join(", ")}`);
  }
  return node;
}

export function nodesOfKind(t: Topology, kind: NodeKind): LabNode[] {
  return t.nodes.filter((n) => n.kind === kind);
}

export function hostsBehind(t: Topology, vtep: string): OverlayHost[] {
  return t.hosts.filter((h) => h.vtep === vtep);
}

/**
 * Neighbour entries the lab can hold at once, machine-wide (the kernel's table
 * is shared by every namespace): every host resolving every other host, the
 * VTEPs' proxy entries for remote hosts, and both ends of every link (global
 * and link-local), with room for the checks' probes.
 */
export function neighbourEntries(t: Topology): number {
  const hosts = t.hosts.length;
  const vteps = nodesOfKind(t, "vtep").length;
  return hosts * (hosts - 1) + vteps * hosts + 4 * t.links.length + 64;
}
