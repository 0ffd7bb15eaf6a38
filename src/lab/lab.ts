/**
 * The lab core as a Pulumi component: one container per node, one veth per
 * link, FRR on routers and VTEPs, addresses on hosts, and a wait until the
 * underlay has converged. Variants build on `lab.ready`.
 */
import * as pulumi from "@pulumi/pulumi";
import { Container, Exec, Link } from "../docker/resources";
import type { NodeKind, Topology } from "../model";
import { convergenceTargets, frrCommands, hostCommands, registryCommands } from "../underlay/commands";
import { Converged } from "../underlay/converged";

export interface LabArgs {
  topology: Topology;
  /** Image per node kind: routers and VTEPs share the FRR image. */
  images: { frr: string; host: string; registry: string; agent: string };
  convergeTimeoutSeconds?: number;
}

export class Lab extends pulumi.ComponentResource {
  readonly containers: Record<string, Container> = {};
  /** Per node: the resource after which the node is configured (FRR started, host addressed). */
  readonly configured: Record<string, pulumi.Resource> = {};
  readonly converged: Converged;
  private readonly topology: Topology;

  constructor(name: string, args: LabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("vxlan-lab:lab:Lab", name, {}, opts);
    const t = args.topology;
    this.topology = t;
    const child = { parent: this };

    const imageOf: Record<NodeKind, string> = {
      router: args.images.frr,
      vtep: args.images.frr,
      host: args.images.host,
      registry: args.images.registry,
      agent: args.images.agent,
    };
    // Nodes are ordered so that a sidecar's VTEP exists before it.
    for (const n of t.nodes) {
      this.containers[n.name] = new Container(
        n.name,
        {
          name: n.container,
          hostname: n.name,
          image: imageOf[n.kind],
          labels: n.labels,
          capAdd: n.capabilities,
          sysctls: n.sysctls,
          ...(n.netns ? { networkOf: this.node(n.netns).containerId } : {}),
        },
        child,
      );
    }

    const linksOf: Record<string, Link[]> = {};
    for (const l of t.links) {
      const a = this.node(l.a.node);
      const b = this.node(l.b.node);
      const link = new Link(
        l.name,
        {
          a: { container: a.name, pid: a.pid, iface: l.a.iface },
          b: { container: b.name, pid: b.pid, iface: l.b.iface },
          mtu: l.mtu,
          helperImage: args.images.frr,
        },
        child,
      );
      (linksOf[l.a.node] ??= []).push(link);
      (linksOf[l.b.node] ??= []).push(link);
    }

    const setup: Partial<Record<NodeKind, { step: string; commands: (node: string) => string[] }>> = {
      router: { step: "frr", commands: (node) => frrCommands(t, node) },
      vtep: { step: "frr", commands: (node) => frrCommands(t, node) },
      host: { step: "address", commands: (node) => hostCommands(t, node) },
      registry: { step: "etcd", commands: () => registryCommands(t) },
      // agent: configured by its variant, once the VTEP's VXLAN device exists.
    };
    for (const n of t.nodes) {
      const s = setup[n.kind];
      if (!s) continue;
      const c = this.node(n.name);
      const addressed = n.kind === "host" || n.kind === "registry";
      this.configured[n.name] = new Exec(
        `${n.name}-${s.step}`,
        {
          container: c.name,
          containerId: c.containerId,
          // A host's (or the registry's) address lives on its veth and goes with it. zebra owns the
          // FRR nodes' link addresses by interface name and puts them back on a
          // recreated veth; restarting FRR there would drop its LSDB, and the
          // recreated neighbour's fresh LSAs could then tie with its stale ones
          // still held elsewhere (same sequence number: measured, never converges).
          wiring: addressed ? this.wiring(n.name) : undefined,
          node: n.name,
          commands: s.commands(n.name),
        },
        // FRR starts once its interfaces exist, so it never sees a half-wired node.
        { ...child, dependsOn: linksOf[n.name] ?? [] },
      );
    }

    const vteps = convergenceTargets(t);
    this.converged = new Converged(
      "underlay-converged",
      {
        vteps,
        services: t.registry ? [t.registry.address] : [],
        timeoutSeconds: args.convergeTimeoutSeconds ?? 90,
        instances: vteps.map((v) => this.node(v.node).containerId),
      },
      {
        ...child,
        dependsOn: t.nodes.filter((n) => n.kind !== "host").flatMap((n) => this.configured[n.name] ?? []),
      },
    );
    this.registerOutputs({});
  }

  /** PIDs of the node and its peers: configuration reruns when any of them changes. */
  wiring(name: string): pulumi.Output<number>[] {
    const n = this.topology.nodes.find((x) => x.name === name);
    return [name, ...(n?.interfaces ?? []).map((i) => i.peer.node)].map((x) => this.node(x).pid);
  }

  node(name: string): Container {
    const c = this.containers[name];
    if (!c) throw new Error(`no node ${name} in the lab`);
    return c;
  }
}
