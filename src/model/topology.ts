import {
  CAPABILITIES,
  DEFAULTS,
  LABEL_PREFIX,
  LIMITS,
  MULTICAST_MAX_VTEPS,
  REGISTRY,
  RSC_GATEWAYS,
  RSC_PREFIX,
  SYSCTLS,
  VXLAN,
  VXLAN_OVERHEAD,
} from "./constants";
import { TopologyError } from "./errors";
import type {
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
  placement: number[];
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

  // Every router is a PIM router on its link to each VTEP, on lo and on its
  // register interface; Linux has 32 IPv6 multicast interfaces (MAXMIFS) per
  // namespace, so the links of VTEPs past 30 never carry the group (measured
  // at 32: the last two VTEPs' hosts unreachable).
  if (vtepsOk && variantOk && spec.variant === "multicast" && vteps > MULTICAST_MAX_VTEPS) {
    problems.push(
      `variant multicast supports at most ${MULTICAST_MAX_VTEPS} VTEPs, got ${vteps}: each router needs a multicast interface (MIF) per VTEP link plus lo and its PIM register interface, and the kernel allows 32 per namespace (MAXMIFS)`,
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
      placement,
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
  const firstRouter = routers[0];
  if (isDynamic(c.variant) && firstRouter !== undefined) {
    extra.push(makeNode(c, REGISTRY.node, "registry"));
    const net = REGISTRY.prefix.split("/")[1];
    links.push({
      name: `${REGISTRY.node}-${firstRouter.name}`.toLowerCase(),
      kind: "service",
      a: {
        node: REGISTRY.node,
        iface: firstRouter.name.toLowerCase(),
        address: `${REGISTRY.address}/${net}`,
      },
      b: { node: firstRouter.name, iface: REGISTRY.node, address: `${REGISTRY.gateway}/${net}` },
      mtu: c.mtu,
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
      gateway: REGISTRY.gateway,
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
    underlay: { mtu: c.mtu },
    overlay: { mtu: overlayMtu, subnets },
    placement: [...c.placement],
    ...(registry ? { registry } : {}),
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

/** Checks the spec, then builds the full topology. Throws TopologyError listing every problem. */
export function resolveTopology(spec: LabSpec): Topology {
  const { problems, checked } = checkSpec(spec);
  if (checked === undefined) throw new TopologyError(problems);
  const topology = build(checked);
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
