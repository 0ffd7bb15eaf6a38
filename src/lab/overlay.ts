/** A variant's overlay as a Pulumi component: its commands, node by node, once the underlay has converged. */
import * as pulumi from "@pulumi/pulumi";
import { Exec } from "../docker/resources";
import type { Topology } from "../model";
import type { Variant } from "../overlay/variant";
import type { Lab } from "./lab";

export class Overlay extends pulumi.ComponentResource {
  readonly steps: Exec[] = [];

  constructor(variant: Variant, t: Topology, lab: Lab, opts?: pulumi.ComponentResourceOptions) {
    super(`vxlan-lab:variant:${variant.name}`, variant.name, { summary: variant.summary }, opts);
    for (const [node, commands] of Object.entries(variant.commands(t))) {
      if (commands.length === 0) continue;
      const c = lab.node(node);
      this.steps.push(
        new Exec(
          `${node}-${variant.name}`,
          { container: c.name, containerId: c.containerId, wiring: lab.wiring(node), node, commands },
          {
            parent: this,
            dependsOn: [lab.converged, ...(lab.configured[node] ? [lab.configured[node]] : [])],
          },
        ),
      );
    }
    this.registerOutputs({});
  }
}
