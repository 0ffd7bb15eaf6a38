/** A variant's overlay as a Pulumi component: one script per node, once the underlay has converged. */
import * as pulumi from "@pulumi/pulumi";
import { Script } from "../docker/resources";
import type { Topology } from "../model";
import type { Variant } from "../overlay/variant";
import type { Lab } from "./lab";

export class Overlay extends pulumi.ComponentResource {
  readonly steps: Record<string, Script> = {};

  constructor(variant: Variant, t: Topology, lab: Lab, opts?: pulumi.ComponentResourceOptions) {
    super(`vxlan-lab:variant:${variant.name}`, variant.name, { summary: variant.summary }, opts);
    const commands = Object.entries(variant.commands(t)).filter(([, c]) => c.length > 0);
    const kindOf = (name: string) => t.nodes.find((n) => n.name === name)?.kind;
    // Order: VTEPs, then their sidecars (the VXLAN device must exist), then
    // hosts, which speak only once the overlay around them is built.
    const rank = (name: string) =>
      ({ vtep: 0, router: 0, registry: 0, agent: 1, host: 2 })[kindOf(name) ?? "host"];
    const byRank = [...commands].sort((a, b) => rank(a[0]) - rank(b[0]));
    for (const [node, cmds] of byRank) {
      const c = lab.node(node);
      const before = byRank.filter(([other]) => rank(other) < rank(node)).map(([other]) => this.steps[other]);
      this.steps[node] = new Script(
        `${node}-${variant.name}`,
        {
          container: c.name,
          containerId: c.containerId,
          wiring: lab.wiring(node, {
            // A VTEP's and its agent's work lives on vxlan100 and the bridge, not on the uplinks.
            routers: !["vtep", "agent"].includes(kindOf(node) ?? ""),
          }),
          node,
          script: cmds.join("\n"),
          // VTEP and host commands only touch the node's network namespace:
          // the wiring helper runs them all in one exec. An agent's script
          // works on its own files and processes, so it runs inside the agent.
          ...lab.engineInput(node),
          ...(kindOf(node) === "agent" || (kindOf(node) === "vtep" && variant.talksToFrr)
            ? {}
            : { netns: { helper: lab.helperFor(node), pid: c.pid } }),
        },
        { parent: this, dependsOn: [lab.converged, ...before.filter((s): s is Script => !!s)] },
      );
    }
    this.registerOutputs({});
  }
}
