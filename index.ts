/**
 * vxlan-lab: the stack name is the variant (`pulumi up -s multicast`).
 * Raw config -> resolved topology (validated before any resource exists)
 * -> lab core (containers, links, underlay) -> the variant's overlay.
 */
import * as pulumi from "@pulumi/pulumi";
import { imageRef } from "./src/images/definition";
import { Lab } from "./src/lab/lab";
import { Overlay } from "./src/lab/overlay";
import { resolveTopology, runConfig, specFromConfig, TopologyError, type Topology } from "./src/model";
import { variantFor } from "./variants";

// Pulumi records a stack trace for every resource it registers; with source
// maps on (esbuild-register turns them on), formatting those traces doubled
// the time to declare a 32-VTEP lab (mocked: 1.0 s -> 0.45 s for 360 resources).
process.setSourceMapsEnabled(false);

const config = new pulumi.Config();
const stack = pulumi.getStack();
const project = pulumi.getProject();

/** Everything the stack config says, validated before any resource exists. */
function settings(): { t: Topology; convergeTimeoutSeconds: number; raw: Record<string, string> } {
  const keys = Object.keys(pulumi.runtime.allConfig())
    .filter((k) => k.startsWith(`${project}:`))
    .map((k) => k.slice(project.length + 1));
  const raw = Object.fromEntries(keys.map((k) => [k, config.get(k) ?? ""]));
  const run = runConfig((k) => config.get(k), keys);
  let problems = run.problems;
  let t: Topology | undefined;
  try {
    t = resolveTopology({ ...specFromConfig(stack, (k) => config.get(k)), project });
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    problems = [...err.problems, ...problems];
  }
  // A RunError prints the message alone: what is wrong and what is valid, no stack trace.
  if (problems.length || !t) {
    throw new pulumi.RunError(
      `invalid lab configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  return { t, convergeTimeoutSeconds: run.convergeTimeoutSeconds, raw };
}

const { t, convergeTimeoutSeconds, raw } = settings();
const lab = new Lab("lab", {
  topology: t,
  images: {
    // A variant may need a newer FRR than the default image (evpn: 10.7 from Debian forky).
    frr: imageRef(variantFor(t.variant)?.frrImage ?? "frr"),
    host: imageRef("host"),
    registry: imageRef("registry"),
    agent: imageRef("agent"),
  },
  convergeTimeoutSeconds,
});

// The neighbour table is one for the whole machine: say so when this lab had to raise its limits.
for (const [engine, limits] of Object.entries(lab.limits)) {
  pulumi.all([limits.raised, limits.before, limits.after]).apply(([raised, b, a]) => {
    if (!raised) return;
    pulumi.log.warn(
      `raised the IPv6 neighbour table limits (net.ipv6.neigh.default.gc_thresh1/2/3) of engine ${engine}'s host ` +
        `from ${b.gc_thresh1}/${b.gc_thresh2}/${b.gc_thresh3} to ${a.gc_thresh1}/${a.gc_thresh2}/${a.gc_thresh3}: ` +
        `they are shared by every container on that host, and this lab's hosts resolve each other`,
    );
  });
}

// Variants without an implementation yet get the lab core alone.
const impl = variantFor(t.variant);
if (impl) new Overlay(impl, t, lab);

export const variant = t.variant;
export const summary = impl?.summary ?? "lab core only";
export const containers = Object.fromEntries(t.nodes.map((n) => [n.name, n.container]));
export const underlayConvergedSeconds = lab.converged.seconds;
/**
 * What `check`, `status`, `graph`, `exec` and `capture` read: the lab as deployed,
 * and the config it was built from (to tell when Pulumi.<stack>.yaml changed since).
 */
export const topology = t;
export const deployedConfig = raw;
