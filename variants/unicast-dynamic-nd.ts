/**
 * Unicast with dynamic ND entries: `nolearning` + `l2miss` + `l3miss` +
 * `proxy`, and no multicast FDB entry at all. A neighbour solicitation for a
 * remote address raises an L3 miss; the agent installs the address -> MAC
 * neighbour entry from the registry and the VTEP answers the host itself
 * (proxy). The unicast that follows raises an L2 miss, answered the same way
 * (the agent installs both at the L3 miss when it can). Nothing is ever
 * flooded: zero amplification, and only what is asked for gets installed.
 * Any address a host sends from is learned and published, so unlike
 * unicast-static-nd there is no isolation by registration.
 */
import { after } from "../src/checks/run";
import { agentFdbCheck, agentsHealthy, registryHoldsHosts, unknownMissCounted } from "../src/checks/agent";
import {
  amplification,
  hostPairs,
  neighCheck,
  neighKey,
  neighPerRemoteHost,
  paths,
  reachability,
  unknownUnicast,
} from "../src/checks/common";
import { dynamicCommands } from "../src/overlay/agent";
import { probeHost, type Variant } from "../src/overlay/variant";
import { ndAnsweredLocally } from "./unicast-static-nd";

export const variant: Variant = {
  name: "unicast-dynamic-nd",
  summary:
    "nolearning + l2miss + l3miss + proxy: an agent answers both misses from the registry; nothing flooded",
  commands: (t) => dynamicCommands(t, ["nolearning", "proxy", "l2miss", "l3miss"], "nd"),
  amplification: () => 0,
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
      after(ping, agentFdbCheck(t, "one per remote MAC, no multicast, no all-zeros")),
      after(
        ping,
        neighPerRemoteHost(t, "agent neighbour entries: one permanent entry per remote host, for proxy ND"),
      ),
      after(
        ping,
        neighCheck(
          "every neighbour entry on the VXLAN device was installed by the agent (extern_learn)",
          (_ctx, _v, neigh) => {
            const foreign = neigh.filter((e) => !("extern_learn" in e)).map(neighKey);
            return foreign.length ? `entries the agent did not install: ${foreign.join(", ")}` : undefined;
          },
        ),
      ),
      ndAnsweredLocally(h, remote),
      amplification(h, 0),
      unknownUnicast(h, 0),
      unknownMissCounted(h),
    ];
  },
};
