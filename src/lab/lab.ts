/**
 * The lab core as a Pulumi component: one container per node with its
 * configuration in place at start (FRR starts with the container), one
 * wiring helper that makes every link in one batch, and a wait until the
 * underlay has converged. Variants build on `lab.converged`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Container, Link, NeighbourLimits, Script } from "../docker/resources";
import { HELPER_CAPABILITIES } from "../docker/wiring";
import { neighbourEntries, type LabNode, type NodeKind, type Topology } from "../model";
import {
  convergenceTargets,
  FRR_START,
  frrFiles,
  hostEnd,
  registryCommands,
  servicePrefixes,
} from "../underlay/commands";
import { Converged } from "../underlay/converged";

export interface LabArgs {
  topology: Topology;
  /** Image per node kind: routers and VTEPs share the FRR image. */
  images: { frr: string; host: string; registry: string; agent: string };
  convergeTimeoutSeconds?: number;
}

export class Lab extends pulumi.ComponentResource {
  readonly containers: Record<string, Container> = {};
  readonly helper: Container;
  readonly links: Link[] = [];
  /** Per node with a setup step after wiring (the registry): the resource after which it serves. */
  readonly configured: Record<string, pulumi.Resource> = {};
  readonly limits: NeighbourLimits;
  readonly converged: Converged;
  private readonly topology: Topology;

  constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vxlan-lab:lab:Lab", name, {}, opts);
    const t = args.topology;
    this.topology = t;
    const child = { parent: this };

    this.helper = new Container(
      "wiring",
      {
        name: t.wiring.container,
        hostname: "wiring",
        image: args.images.frr,
        labels: t.wiring.labels,
        capAdd: HELPER_CAPABILITIES,
        sysctls: {},
        cmd: ["sleep", "infinity"],
        pidMode: "host",
      },
      child,
    );
    this.limits = new NeighbourLimits(
      "neighbour-limits",
      { helper: this.helper.name, entries: neighbourEntries(t) },
      child,
    );

    const imageOf: Record<NodeKind, string> = {
      router: args.images.frr,
      vtep: args.images.frr,
      host: args.images.host,
      registry: args.images.registry,
      agent: args.images.agent,
    };
    // Nodes are ordered so that a sidecar's VTEP exists before it.
    for (const n of t.nodes) {
      const frr = n.kind === "router" || n.kind === "vtep";
      this.containers[n.name] = new Container(
        n.name,
        {
          name: n.container,
          hostname: n.name,
          image: imageOf[n.kind],
          labels: n.labels,
          capAdd: n.capabilities,
          sysctls: n.sysctls,
          ...(frr ? { files: frrFiles(t, n.name), cmd: FRR_START } : {}),
          ...(n.netns
            ? { networkOf: this.node(n.netns).containerId, networkPid: this.node(n.netns).pid }
            : {}),
        },
        child,
      );
    }

    // Every link waits for every wired node, so that their creates arrive as
    // one burst and the helper makes them all in one exec.
    const wired = t.nodes.filter((n) => !n.netns).map((n) => this.node(n.name));
    const end = (node: string, iface: string, address?: string) => {
      const c = this.node(node);
      const n = this.nodeOf(node);
      return pulumi.all([c.name, c.pid]).apply(([container, pid]) => ({
        container,
        pid,
        iface,
        // Hosts and the registry keep their address on their one link; FRR's zebra addresses the rest.
        ...(n.kind === "host" ? hostEnd(t, node) : {}),
        ...(n.kind === "registry" && address ? { addresses: [address] } : {}),
      }));
    };
    for (const l of t.links) {
      this.links.push(
        new Link(
          l.name,
          {
            a: end(l.a.node, l.a.iface, l.a.address),
            b: end(l.b.node, l.b.iface, l.b.address),
            mtu: l.mtu,
            helper: this.helper.name,
          },
          { ...child, dependsOn: [this.helper, ...wired] },
        ),
      );
    }

    const registry = t.registry ? this.nodeOf(t.registry.node) : undefined;
    if (registry) {
      const c = this.node(registry.name);
      this.configured[registry.name] = new Script(
        `${registry.name}-etcd`,
        {
          container: c.name,
          containerId: c.containerId,
          wiring: this.wiring(registry.name),
          node: registry.name,
          script: registryCommands(t).join("\n"),
        },
        { ...child, dependsOn: this.links },
      );
    }

    const vteps = convergenceTargets(t);
    this.converged = new Converged(
      "underlay-converged",
      {
        vteps,
        services: servicePrefixes(t),
        timeoutSeconds: args.convergeTimeoutSeconds ?? 90,
        // A restarted VTEP (same container, new init and namespace) must converge again too.
        instances: vteps.map((v) => {
          const c = this.node(v.node);
          return pulumi.interpolate`${c.containerId}:${c.pid}`;
        }),
      },
      { ...child, dependsOn: [...this.links, ...Object.values(this.configured)] },
    );
    this.registerOutputs({});
  }

  /** PIDs of the node and its peers: configuration reruns when any of them changes. */
  /**
   * Init PIDs a node's script depends on: its own and its link peers' (a
   * restart makes the links anew). `routers: false` leaves out router peers,
   * for scripts that never touch their uplinks.
   */
  wiring(name: string, opts: { routers?: boolean } = {}): pulumi.Output<number>[] {
    const n = this.nodeOf(name);
    const self = n.netns ?? n.name;
    const peers = this.nodeOf(self)
      .interfaces.map((i) => i.peer.node)
      .filter((p) => opts.routers !== false || this.nodeOf(p).kind !== "router");
    return [self, ...peers].map((x) => this.node(x).pid);
  }

  node(name: string): Container {
    const c = this.containers[name];
    if (!c) throw new Error(`no node ${name} in the lab`);
    return c;
  }

  private nodeOf(name: string): LabNode {
    const n = this.topology.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in the topology`);
    return n;
  }
}
