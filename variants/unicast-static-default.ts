/**
 * Unicast with static flooding: every VTEP knows its peers and floods BUM
 * frames to each with one all-zeros FDB entry per remote VTEP (head-end
 * replication). MACs are learned from the traffic that comes back.
 * One BUM frame leaves its VTEP as N-1 VXLAN packets.
 */
import { after } from "../src/checks/run";
import {
  amplification,
  fdbCheck,
  fdbKey,
  hostPairs,
  isStatic,
  paths,
  reachability,
  setDiff,
  unknownUnicast,
} from "../src/checks/common";
import {
  ALL_ZEROS,
  floodEntries,
  loopbackOf,
  remoteHosts,
  remoteVteps,
  vtepBase,
} from "../src/overlay/commands";
import { perVtep, probeHost, vtepCount, type Variant } from "../src/overlay/variant";
import type { Topology } from "../src/model";

export const floodTo = (t: Topology, vtep: string) =>
  remoteVteps(t, vtep).map((r) => fdbKey({ mac: ALL_ZEROS, dst: r.loopback }));

export const variant: Variant = {
  name: "unicast-static-default",
  summary: "head-end replication to every peer from static all-zeros FDB entries; MACs learned",
  commands: (t) => perVtep(t, (v) => [...vtepBase(t, v), ...floodEntries(t, v)]),
  amplification: (t) => vtepCount(t) - 1,
  checks: (t) => {
    const ping = reachability(hostPairs(t));
    return [
      ping,
      paths(t),
      // After the reachability check every remote host has talked to us.
      after(
        ping,
        fdbCheck("one static all-zeros entry per remote VTEP, remote host MACs learned", (_ctx, v, fdb) => {
          const flood = fdb.filter((e) => e.mac === ALL_ZEROS);
          const bad = setDiff(flood.filter(isStatic).map(fdbKey), floodTo(t, v));
          if (bad) return `flood entries: ${bad}`;
          const learned = fdb.filter((e) => e.mac !== ALL_ZEROS && !isStatic(e)).map(fdbKey);
          return setDiff(
            learned,
            remoteHosts(t, v).map((h) => fdbKey({ mac: h.mac, dst: loopbackOf(t, h.vtep) })),
          );
        }),
      ),
      amplification(probeHost(t), vtepCount(t) - 1),
      unknownUnicast(probeHost(t), vtepCount(t) - 1),
    ];
  },
};
