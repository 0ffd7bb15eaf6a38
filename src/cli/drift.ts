/**
 * What changed behind Pulumi's back since the last `up`: containers gone,
 * stopped or started again, and veth links missing or no longer paired. Both
 * are cheap (one inspect per container, one exec per wiring helper), so a
 * healthy lab skips the refresh that would read every resource.
 */
import { inspectContainer } from "../docker/containers";
import { readLinks } from "../docker/wiring";
import { vethPeers } from "../util/veth";
import { trackedLinks, trackedNodes, type TrackedLink } from "./pulumi";

/**
 * Containers the state records that the engine does not run as recorded:
 * gone, stopped, or started again (another init PID, so a new namespace).
 */
export async function staleContainers(stack: string): Promise<string[]> {
  const recorded = trackedNodes(stack);
  const now = await Promise.all(
    recorded.map((c) => inspectContainer({ container: c.name, engine: c.engine })),
  );
  return recorded.filter((c, i) => now[i]?.pid !== c.pid).map((c) => c.name);
}

/** A link as `up` names it: container:iface--container:iface. */
export const linkName = (l: TrackedLink) => `${l.a.container}:${l.a.iface}--${l.b.container}:${l.b.iface}`;

/**
 * Veth links of the state whose two ends are not both there as each other's
 * peer (deleted by hand, or made again without the state knowing). Every
 * namespace is read in the same burst: one exec per helper. A helper that
 * cannot be asked reports nothing: the refresh it would trigger is `up`'s to
 * decide from the containers.
 */
export async function staleLinks(stack: string): Promise<TrackedLink[]> {
  const links = trackedLinks(stack);
  const read = await Promise.all(
    links.map((l) =>
      Promise.all([readLinks(l.helper, l.a.pid), readLinks(l.helper, l.b.pid)]).catch(() => undefined),
    ),
  );
  return links.filter((l, i) => {
    const r = read[i];
    if (!r) return false;
    const a = r[0]?.find((x) => x.ifname === l.a.iface);
    const b = r[1]?.find((x) => x.ifname === l.b.iface);
    return !a || !b || !vethPeers(a, b);
  });
}
