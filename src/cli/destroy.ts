/** Destroying a stack so that nothing is left: resources, state, and stray containers. */
import { listContainers, removeContainer } from "../docker/containers";
import type { RunResult } from "../util/proc";
import { pulumi, stackExists } from "./pulumi";

/**
 * `pulumi destroy`, then the stack's state, then any container still carrying
 * the stack's label (a crashed run leaves those outside Pulumi's state).
 * keepConfig keeps Pulumi.<stack>.yaml: the variants' files are committed.
 */
export async function destroyStack(
  stack: string,
  opts: { keepConfig: boolean; inherit?: boolean },
): Promise<{ destroy: RunResult | undefined; leftovers: number }> {
  let destroy: RunResult | undefined;
  if (await stackExists(stack)) {
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
  const left = await listContainers({ "vxlan-lab.stack": stack });
  for (const c of left) await removeContainer(c.id);
  return { destroy, leftovers: left.length };
}
