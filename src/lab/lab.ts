/**
 * The lab core as a Pulumi component: one container per node with its
 * configuration in place at start (FRR starts with the container), one
 * wiring helper that makes every link in one batch, and a wait until the
 * underlay has converged. Variants build on `lab.converged`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EngineAccess, Target } from "../docker/client";
import { Container, ImageCopy, Link, NeighbourLimits, Script } from "../docker/resources";
import { HELPER_CAPABILITIES } from "../docker/wiring";
import {
  engineAccess,
  engineOf,
  LABEL_PREFIX,
  enginesInUse,
  namesEngines,
  neighbourEntries,
  wiringContainer,
  type Engine,
  type LabNode,
  type NodeKind,
  type Topology,
} from "../model";
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

/** The `engine` input of a resource: absent on the default engine, so such labs keep their inputs. */
const onEngine = (access?: EngineAccess): { engine?: EngineAccess } => (access ? { engine: access } : {});

export class Lab extends pulumi.ComponentResource {
  readonly containers: Record<string, Container> = {};
  /** One wiring helper per engine that holds nodes, by engine name. */
  readonly helpers: Record<string, Container> = {};
  readonly links: Link[] = [];
  /** Per node with a setup step after wiring (the registry): the resource after which it serves. */
  readonly configured: Record<string, pulumi.Resource> = {};
  /** Per engine: its host's neighbour table limits (one table per machine). */
  readonly limits: Record<string, NeighbourLimits> = {};
  readonly converged: Converged;
  private readonly topology: Topology;

  constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vxlan-lab:lab:Lab", name, {}, opts);
    const t = args.topology;
    this.topology = t;
    const child = { parent: this };
    // A lab that names its engines groups each engine's resources under it, so
    // a plan shows which node lands where; a lab on the default engine keeps
    // the resource names it always had.
    const named = namesEngines(t);
    const imageOf: Record<NodeKind, string> = {
      router: args.images.frr,
      vtep: args.images.frr,
      host: args.images.host,
      registry: args.images.registry,
      agent: args.images.agent,
    };
    const parents: Record<string, pulumi.Resource> = {};
    const copies: Record<string, pulumi.Resource[]> = {};
    for (const e of enginesInUse(t)) {
      const access = engineAccess(e);
      const parent = named
        ? new pulumi.ComponentResource(
            "vxlan-lab:lab:Engine",
            e.name,
            { endpoint: e.endpoint ?? "default" },
            child,
          )
        : this;
      parents[e.name] = parent;
      const suffix = named ? `-${e.name}` : "";
      // Images are built on the default engine; another engine gets a copy of each one its nodes use.
      const images = [...new Set(t.nodes.filter((n) => n.engine === e.name).map((n) => imageOf[n.kind]))];
      copies[e.name] = access
        ? [...new Set([args.images.frr, ...images])].map(
            (image) =>
              new ImageCopy(
                `image${suffix}-${image.replace(/[/:]/g, "-")}`,
                { image, to: access },
                { parent },
              ),
          )
        : [];
      this.helpers[e.name] = new Container(
        `wiring${suffix}`,
        {
          name: wiringContainer(t, e.name),
          hostname: "wiring",
          image: args.images.frr,
          labels: named ? { ...t.wiring.labels, [`${LABEL_PREFIX}.engine`]: e.name } : t.wiring.labels,
          capAdd: HELPER_CAPABILITIES,
          sysctls: {},
          cmd: ["sleep", "infinity"],
          pidMode: "host",
          ...onEngine(access),
        },
        { parent, dependsOn: copies[e.name] },
      );
      this.limits[e.name] = new NeighbourLimits(
        `neighbour-limits${suffix}`,
        { helper: this.helperOf(e), entries: neighbourEntries(t) },
        { parent },
      );
    }

    // Nodes are ordered so that a sidecar's VTEP exists before it.
    for (const n of t.nodes) {
      const frr = n.kind === "router" || n.kind === "vtep";
      const access = engineAccess(engineOf(t, n));
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
          ...onEngine(access),
        },
        { parent: parents[n.engine] ?? this, dependsOn: copies[n.engine] ?? [] },
      );
    }

    // Every link waits for every wired node, so that their creates arrive as
    // one burst and the helper makes them all in one exec.
    const wired = t.nodes.filter((n) => !n.netns).map((n) => this.node(n.name));
    const end = (node: string, iface: string, address?: string) => {
      const c = this.node(node);
      const n = this.nodeOf(node);
      const access = engineAccess(engineOf(t, n));
      return pulumi.all([c.name, c.pid]).apply(([container, pid]) => ({
        container,
        pid,
        iface,
        ...onEngine(access),
        // Hosts and the registry keep their address on their one link; FRR's zebra addresses the rest.
        ...(n.kind === "host" ? hostEnd(t, node) : {}),
        ...(n.kind === "registry" && address ? { addresses: [address] } : {}),
      }));
    };
    const helpers = Object.values(this.helpers);
    for (const l of t.links) {
      const a = this.nodeOf(l.a.node);
      const b = this.nodeOf(l.b.node);
      this.links.push(
        new Link(
          l.name,
          {
            a: end(l.a.node, l.a.iface, l.a.address),
            b: end(l.b.node, l.b.iface, l.b.address),
            mtu: l.mtu,
            helper: this.helperOf(engineOf(t, a)),
            ...(l.tunnel
              ? {
                  tunnel: {
                    helper: this.helperOf(engineOf(t, b)),
                    spec: {
                      vni: l.tunnel.vni,
                      port: l.tunnel.port,
                      aRemote: l.tunnel.aRemote,
                      bRemote: l.tunnel.bRemote,
                    },
                  },
                }
              : {}),
          },
          { ...child, dependsOn: [...helpers, ...wired] },
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
          ...this.engineInput(registry.name),
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

  /**
   * What a node's script depends on: its own init PID and when each of its
   * links was made. A link made again (a peer restarted, or a refresh found
   * an end missing) is a fresh interface, out of its bridge and without its
   * settings, so the script must run again. `routers: false` leaves out the
   * links to routers, for scripts that never touch their uplinks.
   */
  wiring(name: string, opts: { routers?: boolean } = {}): pulumi.Output<number>[] {
    const n = this.nodeOf(name);
    const self = n.netns ?? n.name;
    const made = this.nodeOf(self)
      .interfaces.filter((i) => opts.routers !== false || this.nodeOf(i.peer.node).kind !== "router")
      .map((i) => this.link(i.link).made);
    return [this.node(self).pid, ...made];
  }

  private link(name: string): Link {
    const i = this.topology.links.findIndex((l) => l.name === name);
    const l = this.links[i];
    if (!l) throw new Error(`no link ${name} in the lab`);
    return l;
  }

  /** The wiring helper of an engine, as the Docker layer addresses it. */
  helperOf(e: Engine): pulumi.Output<string | Target> {
    const c = this.helpers[e.name];
    if (!c) throw new Error(`no wiring helper on engine ${e.name}: no node of the lab is there`);
    const access = engineAccess(e);
    return c.name.apply((container) => (access ? { container, engine: access } : container));
  }

  /** The helper of the engine that holds a node. */
  helperFor(name: string): pulumi.Output<string | Target> {
    return this.helperOf(engineOf(this.topology, this.nodeOf(name)));
  }

  /** The `engine` input of a resource that works in the node's container: absent on the default engine. */
  engineInput(name: string): { engine?: EngineAccess } {
    return onEngine(engineAccess(engineOf(this.topology, this.nodeOf(name))));
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
