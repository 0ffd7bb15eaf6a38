/**
 * `scripts/lab up`: preflight, then `pulumi up --refresh` on the stack, then
 * the variant's checks. Refresh is what repairs a lab: a node restarted behind
 * Pulumi's back (new namespace, links gone, overlay gone) reads as changed,
 * so its links are made again and its scripts rerun; nothing else moves.
 */
import { imageRef } from "../images/definition";
import type { VariantName } from "../model";
import { variantFor } from "../../variants";
import { releaseStaleLocks } from "./locks";
import { preflight } from "./preflight";
import { pulumi, selectStack } from "./pulumi";

/** Stack names end up in container names (vxlab-<stack>-<node>) and file names. */
export const STACK_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export function stackProblem(stack: string): string | undefined {
  if (STACK_NAME.test(stack)) return undefined;
  return `stack name "${stack}" is not valid: lower-case letters, digits and "-", starting with a letter or digit, at most 40 characters`;
}

/** The variant a stack is configured for (its Pulumi.<stack>.yaml), or undefined when unset. */
async function configuredVariant(stack: string): Promise<string | undefined> {
  const r = await pulumi(["config", "get", "--stack", stack, "vxlan-lab:variant"]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** Up to and including `pulumi up`; returns its exit code. */
export async function upStack(variant: VariantName, stack: string = variant): Promise<number> {
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
  const r = await pulumi(["up", "--stack", stack, "--yes", "--skip-preview", "--refresh"], { inherit: true });
  return r.code;
}
