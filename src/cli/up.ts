/**
 * `scripts/lab up`: preflight, then `pulumi up` on the stack, then the
 * variant's checks. With --refresh when the engine disagrees with the state
 * (or when asked): a node restarted behind Pulumi's back (new namespace, links
 * gone, overlay gone) then reads as changed, so its links are made again and
 * its scripts rerun; nothing else moves. A healthy lab skips the refresh,
 * which reads every resource and costs a second pass over the stack.
 */
import { imageRef } from "../images/definition";
import type { VariantName } from "../model";
import { variantFor } from "../../variants";
import { releaseStaleLocks } from "./locks";
import { reapOrphans } from "./orphans";
import { preflight } from "./preflight";
import { removeContainer } from "../docker/containers";
import { stackContainers } from "./engines";
import { linkName, staleContainers, staleLinks } from "./drift";
import { pulumi, selectStack } from "./pulumi";

/** Stack names end up in container names (vxlab-<stack>-<node>) and file names. */
export const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function stackProblem(stack: string): string | undefined {
  if (STACK_NAME.test(stack)) return undefined;
  return `stack name "${stack}" is not valid: lower-case letters, digits and "-", starting with a letter or digit, at most 40 characters`;
}

/** The variant a stack is configured for (its Pulumi.<stack>.yaml), or undefined when unset. */
export async function configuredVariant(stack: string): Promise<string | undefined> {
  const r = await pulumi(["config", "get", "--stack", stack, "vxlan-lab:variant"]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/**
 * After a killed run: its wiring batch can still be running in the helper,
 * entering namespaces by PIDs of containers this run is about to replace, and
 * those PIDs can by then be other processes, another lab's included. Removing
 * the helper ends the batch; `up` then finds it gone and makes it again.
 */
async function resetWiringHelpers(stack: string): Promise<void> {
  const helpers = await stackContainers(stack, { "vxlan-lab.kind": "wiring" });
  await Promise.all(helpers.map((c) => removeContainer({ container: c.id, engine: c.engine })));
  if (helpers.length) process.stderr.write(`removed the wiring helper the killed run may still be using\n`);
}

/** Up to and including `pulumi up`; returns its exit code. */
export async function upStack(
  variant: VariantName,
  stack: string = variant,
  opts: { refresh?: boolean } = {},
): Promise<number> {
  await preflight(stack, imageRef(variantFor(variant)?.frrImage ?? "frr"), variant);
  await selectStack(stack);
  if (stack !== variant) {
    const current = await configuredVariant(stack);
    if (current !== undefined && current !== variant) {
      throw new Error(
        `stack ${stack} is configured for variant ${current}, not ${variant}; destroy it first or choose another --stack name`,
      );
    }
    if (current === undefined) {
      const r = await pulumi(["config", "set", "--stack", stack, "vxlan-lab:variant", variant]);
      if (r.code !== 0) throw new Error(`pulumi config set variant: ${r.stderr.trim()}`);
    }
  }
  const released = releaseStaleLocks(stack);
  for (const m of released) process.stderr.write(`${m}\n`);
  reapOrphans();
  if (released.length) await resetWiringHelpers(stack);
  const stale = await staleContainers(stack);
  // Links only matter while their containers run as recorded; a stale container's links are remade anyway.
  const broken = stale.length ? [] : (await staleLinks(stack)).map(linkName);
  if (stale.length || broken.length) {
    process.stderr.write(
      `not as the last up left them: ${[...stale, ...broken].join(", ")}; refreshing the state to repair the lab\n`,
    );
  }
  // After a killed run the engine may hold what its state never recorded (or the reverse).
  const refresh = opts.refresh || stale.length + broken.length + released.length > 0 ? ["--refresh"] : [];
  const r = await pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...refresh], { inherit: true });
  return r.code;
}
