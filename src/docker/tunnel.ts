/**
 * A link between containers on two engines: a point-to-point tunnel between
 * the engine hosts, one end made by each engine's wiring helper. Each end is
 * created in its engine host's network namespace, so that its UDP socket
 * lives there and reaches the other host, then moved into the node and given
 * the link's interface name. The tunnel is a Linux VXLAN device with one
 * fixed remote: plumbing of the engines' hosts, nothing of the lab's overlay.
 */
import type { ContainerRef } from "./client";
import { runScript } from "./exec";
import { coalescer, endSettings, parallel, word, type LinkEnd } from "./wiring";
import type { Coalescer } from "./batch";

export interface TunnelEnd {
  end: LinkEnd;
  /** The tunnel's identifier, the same at both ends. */
  vni: number;
  port: number;
  /** The other engine host's address. */
  remote: string;
  mtu: number;
}

/**
 * The engine host's network namespace, as the helper's shell finds it: the
 * nearest ancestor of the exec in another namespace than the helper's own.
 * That is the engine's containerd shim, which lives where the engine does;
 * `pgrep dockerd` would find the wrong engine when two run on one machine.
 */
const FIND_HOST_NS = [
  "self=$(readlink /proc/self/ns/net); p=$$; eng=",
  'while [ "$p" -gt 1 ]; do',
  "  p=$(awk '{print $4}' \"/proc/$p/stat\")",
  '  if [ "$(readlink "/proc/$p/ns/net")" != "$self" ]; then eng=$p; break; fi',
  "done",
  '[ -n "$eng" ] || { echo "cannot find the engine host namespace from the wiring helper" >&2; exit 1; }',
];

/** The name an end has in the engine host's namespace, before it moves: unique there per VNI. */
export function hostName(vni: number): string {
  return `vxt${vni.toString(16)}`;
}

/** One script for a burst of tunnel ends on one engine: made side by side in the host, then moved and set up. */
export function tunnelScript(ends: readonly TunnelEnd[]): string {
  const blocks = ends.map((t) => {
    const tmp = hostName(t.vni);
    const e = t.end;
    return [
      // Leftovers go first: this end from before (its node kept it while the far
      // end's node restarted) holds the VNI on the host, and so may a killed run's.
      `nsenter -t ${word(e.pid)} -n ip link del ${word(e.iface)} 2>/dev/null || true`,
      `nsenter -t "$eng" -n ip link del ${tmp} 2>/dev/null || true`,
      `nsenter -t "$eng" -n ip link add ${tmp} mtu ${word(t.mtu)} type vxlan id ${word(t.vni)} remote ${word(t.remote)} dstport ${word(t.port)} nolearning`,
      `nsenter -t "$eng" -n ip link set ${tmp} netns ${word(e.pid)}`,
      `nsenter -t ${word(e.pid)} -n ip -batch - <<'EOF'`,
      `link set ${tmp} name ${word(e.iface)}`,
      ...endSettings(e),
      "EOF",
    ];
  });
  return ["set -e", ...FIND_HOST_NS, ...parallel(blocks)].join("\n");
}

const makers = new Map<string, Coalescer<TunnelEnd, void>>();

/** Makes one end through its engine's helper; the ends of a burst share one exec. */
export function createTunnelEnd(helper: ContainerRef, end: TunnelEnd): Promise<void> {
  return coalescer(makers, helper, async (ends) => {
    await runScript(helper, tunnelScript(ends), `tunnelling ${ends.length} link end(s)`);
    return ends.map(() => undefined);
  }).add(end);
}
