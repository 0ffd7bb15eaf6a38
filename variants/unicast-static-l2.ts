/**
 * Unicast with static L2 entries: as static flooding, but learning is off and
 * every remote host MAC is a static FDB entry. The FDB is bounded by what was
 * configured; BUM and unknown unicast are still flooded N-1 times.
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
import { floodEntries, loopbackOf, remoteHosts, staticMacEntries, vtepBase } from "../src/overlay/commands";
import { perVtep, probeHost, vtepCount, type Variant } from "../src/overlay/variant";
import { floodTo } from "./unicast-static-default";

export const variant: Variant = {
  name: "unicast-static-l2",
  summary: "nolearning: static all-zeros entries plus one static entry per remote MAC, nothing learned",
  commands: (t) =>
    perVtep(t, (v) => [
      ...vtepBase(t, v, { flags: ["nolearning"] }),
      ...floodEntries(t, v),
      ...staticMacEntries(t, v),
    ]),
  amplification: (t) => vtepCount(t) - 1,
  checks: (t) => {
    const ping = reachability(hostPairs(t));
    return [
      ping,
      paths(t),
      // Nothing learned even after every host has talked.
      after(
        ping,
        fdbCheck(
          "only static entries: all-zeros per remote VTEP and one per remote MAC, nothing learned",
          (_ctx, v, fdb) => {
            const learned = fdb.filter((e) => !isStatic(e));
            if (learned.length) return `learned entries: ${learned.map(fdbKey).join(", ")}`;
            const macs = remoteHosts(t, v).map((h) => fdbKey({ mac: h.mac, dst: loopbackOf(t, h.vtep) }));
            return setDiff(fdb.map(fdbKey), [...floodTo(t, v), ...macs]);
          },
        ),
      ),
      amplification(probeHost(t), vtepCount(t) - 1),
      unknownUnicast(probeHost(t), vtepCount(t) - 1),
    ];
  },
};
