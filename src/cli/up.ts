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
import { preflight } from "./preflight";
import { inspectContainer } from "../docker/containers";
import { pulumi, selectStack, trackedPids } from "./pulumi";

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
 * Containers the state records that the engine does not run as recorded:
 * gone, stopped, or started again (another init PID, so a new namespace).
 */
export async function staleContainers(stack: string): Promise<string[]> {
  const recorded = [...trackedPids(stack)];
  const now = await Promise.all(recorded.map(([name]) => inspectContainer(name)));
  return recorded.filter(([, pid], i) => now[i]?.pid !== pid).map(([name]) => name);
}

/** Up to and including `pulumi up`; returns its exit code. */
export async function upStack(
  variant: VariantName,
  stack: string = variant,
  opts: { refresh?: boolean } = {},
): Promise<number> {
  await preflight(stack, imageRef(variantFor(variant)?.frrImage ?? "frr"));
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
  for (const m of releaseStaleLocks(stack)) process.stderr.write(`${m}\n`);
  const stale = await staleContainers(stack);
  if (stale.length) {
    process.stderr.write(
      `not as the last up left them: ${stale.join(", ")}; refreshing the state to repair the lab\n`,
    );
  }
  const refresh = opts.refresh || stale.length > 0 ? ["--refresh"] : [];
  const r = await pulumi(["up", "--stack", stack, "--yes", "--skip-preview", ...refresh], { inherit: true });
  return r.code;
}
