/**
 * vxlan-lab: the stack name is the variant (`pulumi up -s multicast`).
 * Raw config -> resolved topology (validated before any resource exists)
 * -> lab core (containers, links, underlay) -> the variant's overlay.
 */
import * as pulumi from "@pulumi/pulumi";
import { imageRef } from "./src/images/definition";
import { Lab } from "./src/lab/lab";
import { Overlay } from "./src/lab/overlay";
import { resolveTopology, specFromConfig, TopologyError, type Topology } from "./src/model";
import { variantFor } from "./variants";

const config = new pulumi.Config();
const stack = pulumi.getStack();

function topology(): Topology {
  try {
    return resolveTopology({ ...specFromConfig(stack, (k) => config.get(k)), project: pulumi.getProject() });
  } catch (err) {
    // A RunError prints the message alone: what is wrong and what is valid, no stack trace.
    if (err instanceof TopologyError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

const t = topology();
const lab = new Lab("lab", {
  topology: t,
  images: { frr: imageRef("frr"), host: imageRef("host") },
  convergeTimeoutSeconds: config.getNumber("convergeTimeout"),
});

// Variants without an implementation yet get the lab core alone.
const impl = variantFor(t.variant);
if (impl) new Overlay(impl, t, lab);

export const variant = t.variant;
export const summary = impl?.summary ?? "lab core only";
export const containers = Object.fromEntries(t.nodes.map((n) => [n.name, n.container]));
export const underlayConvergedSeconds = lab.converged.seconds;
