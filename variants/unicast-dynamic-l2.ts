/**
 * Unicast with dynamic L2 entries: `nolearning` + `l2miss`, no all-zeros
 * entries. Each VTEP's agent publishes its local hosts to the registry (etcd)
 * and, when the kernel reports an L2 miss for a remote MAC, installs that one
 * FDB entry from the registry. Neighbour discovery still needs multicast:
 * the agent derives one solicited-node entry (33:33:ff + the address's low
 * 24 bits) per remote address from the registry, so an NS goes to exactly
 * the VTEP(s) behind which that address lives, never to all of them.
 * Any address a host sends from is learned and published, so unlike
 * unicast-static-nd there is no isolation by registration.
 */
import { after } from "../src/checks/run";
import {
  agentFdbCheck,
  agentsHealthy,
  registryEntries,
  registryHoldsHosts,
  unknownMissCounted,
} from "../src/checks/agent";
import {
  address,
  amplification,
  countVxlanPackets,
  execOk,
  fdbKey,
  hostPairs,
  paths,
  reachability,
  unknownUnicast,
} from "../src/checks/common";
import type { Check } from "../src/checks/types";
import type { OverlayHost, Topology } from "../src/model";
import { dynamicCommands } from "../src/overlay/agent";
import { loopbackOf } from "../src/overlay/commands";
import { probeHost, type Variant } from "../src/overlay/variant";
import { solicitedNodeMac } from "./unicast-static-nd";

/**
 * The solicited-node entries a VTEP's agent should hold: one per remote
 * address in the registry (learned beyond the topology's hosts too), to the
 * VTEP that published it.
 */
export function solicitedFromRegistry(
  entries: Awaited<ReturnType<typeof registryEntries>>,
  t: Topology,
  vtep: string,
): string[] {
  const own = loopbackOf(t, vtep);
  const prefix = `${t.registry?.keyPrefix ?? ""}ip/`;
  return entries
    .filter((e) => e.key.startsWith(prefix) && e.value.vtep !== own)
    .map((e) => fdbKey({ mac: solicitedNodeMac(e.key.slice(prefix.length)), dst: e.value.vtep }));
}

/** An NS for a remote host leaves its VTEP once per FDB destination of the solicited-node MAC. */
function solicitationAmplification(t: Topology, from: OverlayHost, to: OverlayHost): Check {
  const sn = solicitedNodeMac(address(to));
  const expected = t.hosts.filter((h) => h.vtep !== from.vtep && solicitedNodeMac(address(h)) === sn);
  const vteps = new Set(expected.map((h) => h.vtep)).size;
  return {
    quiet: true,
    name: `amplification: ${from.name}'s neighbour solicitation for ${to.name} leaves ${from.vtep} as ${vteps} VXLAN packet(s), per the FDB`,
    async run(ctx) {
      const n = await countVxlanPackets(ctx, from.vtep, sn, async () => {
        await execOk(ctx, from.name, ["ip", "-6", "neigh", "flush", "dev", "eth0"]);
        await ctx.exec(from.name, ["ping", "-6", "-c1", "-W1", address(to)]);
      });
      // Runs after reachability: the answer's way back is installed, so one NS suffices.
      return { ok: n === vteps, detail: `${n} VXLAN packet(s), expected ${vteps}`, perBumFrame: n };
    },
  };
}

export const variant: Variant = {
  name: "unicast-dynamic-l2",
  summary: "nolearning + l2miss: an agent installs each remote MAC from the registry on the kernel's miss",
  commands: (t) => dynamicCommands(t, ["nolearning", "l2miss"], "l2"),
  amplification: () => 1,
  checks: (t) => {
    const h = probeHost(t);
    const remote = t.hosts.find((x) => x.vtep !== h.vtep) ?? h;
    const ping = reachability(hostPairs(t));
    return [
      agentsHealthy(t),
      registryHoldsHosts(t),
      ping,
      paths(t),
      // Entries are installed on demand: read them once every host has talked.
      after(
        ping,
        agentFdbCheck(
          t,
          "each remote MAC, and a solicited-node entry per remote address in the registry; no all-zeros",
          async (ctx, v) => solicitedFromRegistry(await registryEntries(ctx), t, v),
        ),
      ),
      solicitationAmplification(t, h, remote),
      amplification(h, 0, "one BUM frame to a group no registry entry names"),
      unknownUnicast(h, 0),
      unknownMissCounted(h),
    ];
  },
};
