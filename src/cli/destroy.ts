/** Destroying a stack so that nothing is left: resources, state, and stray containers. */
import { removeContainer } from "../docker/containers";
import type { ExecResult } from "../util/process";
import { stackContainers } from "./engines";
import { releaseStaleLocks } from "./locks";
import { reapOrphans } from "./orphans";
import { pulumi, stackExists, trackedContainers } from "./pulumi";

/**
 * Every container carrying the stack's label is removed first, all at once
 * (their veths go with their namespaces); then `pulumi destroy` finds its
 * resources gone and only drops them from the state (it removes them itself
 * when run by hand, just one phase after the other), then the stack's state.
 * `leftovers` counts the containers the state did not know: what a crashed
 * run left behind. keepConfig keeps Pulumi.<stack>.yaml: the variants' files
 * are committed.
 */
export async function destroyStack(
  stack: string,
  opts: { keepConfig: boolean; inherit?: boolean },
): Promise<{ destroy: ExecResult | undefined; leftovers: number }> {
  const tracked = trackedContainers(stack);
  // On every engine the stack is deployed or configured on (Pulumi's destroy then names what it could not remove).
  const labelled = await stackContainers(stack);
  await Promise.all(labelled.map((c) => removeContainer({ container: c.id, engine: c.engine })));
  let destroy: ExecResult | undefined;
  if (await stackExists(stack)) {
    for (const m of releaseStaleLocks(stack)) process.stderr.write(`${m}\n`);
    reapOrphans();
    destroy = await pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"], {
      inherit: opts.inherit,
    });
    if (destroy.code === 0) {
      const rm = await pulumi([
        "stack",
        "rm",
        stack,
        "--yes",
        opts.keepConfig ? "--preserve-config" : "--force",
      ]);
      if (rm.code !== 0) throw new Error(`pulumi stack rm ${stack}: ${rm.stderr.trim()}`);
    }
  }
  return { destroy, leftovers: labelled.filter((c) => !tracked.has(c.name)).length };
}
