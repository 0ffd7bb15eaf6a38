/** A variant's overlay as a Pulumi component: its commands, node by node, once the underlay has converged. */
import * as pulumi from "@pulumi/pulumi";
import { Exec } from "../docker/resources";
import type { Topology } from "../model";
import type { Variant } from "../overlay/variant";
import type { Lab } from "./lab";

export class Overlay extends pulumi.ComponentResource {
  readonly steps: Record<string, Exec> = {};

  constructor(variant: Variant, t: Topology, lab: Lab, opts?: pulumi.ComponentResourceOptions) {
    super(`vxlan-lab:variant:${variant.name}`, variant.name, { summary: variant.summary }, opts);
    const commands = Object.entries(variant.commands(t)).filter(([, c]) => c.length > 0);
    const kindOf = (name: string) => t.nodes.find((n) => n.name === name)?.kind;
    // Order: VTEPs, then their sidecars (the VXLAN device must exist), then
    // hosts, which speak only once the overlay around them is built.
    const rank = (name: string) =>
      ({ vtep: 0, router: 0, registry: 0, agent: 1, host: 2 })[kindOf(name) ?? "host"];
    for (const [node, cmds] of [...commands].sort((a, b) => rank(a[0]) - rank(b[0]))) {
      const c = lab.node(node);
      const before = commands
        .map(([other]) => other)
        .filter((other) => rank(other) < rank(node))
        .flatMap((other) => this.steps[other] ?? []);
      this.steps[node] = new Exec(
        `${node}-${variant.name}`,
        { container: c.name, containerId: c.containerId, wiring: lab.wiring(node), node, commands: cmds },
        {
          parent: this,
          dependsOn: [lab.converged, ...(lab.configured[node] ? [lab.configured[node]] : []), ...before],
        },
      );
    }
    this.registerOutputs({});
  }
}
