/**
 * Unicast with static ND entries: no all-zeros entries, so BUM frames go
 * nowhere. `proxy` makes each VTEP answer neighbour solicitations from static
 * neighbour entries on its VXLAN device; static FDB entries carry the
 * unicast. Zero amplification, but only registered IP/MAC pairs can talk.
 */
import { after } from "../src/checks/run";
import {
  address,
  amplification,
  countVxlanPackets,
  execOk,
  fdbCheck,
  fdbKey,
  hostPairs,
  isStatic,
  neighPerRemoteHost,
  paths,
  reachability,
  setDiff,
  unknownUnicast,
} from "../src/checks/common";
import type { Check } from "../src/checks/types";
import { parseIPv6, type OverlayHost, type Topology } from "../src/model";
import { loopbackOf, neighEntries, remoteHosts, staticMacEntries, vtepBase } from "../src/overlay/commands";
import { perVtep, probeHost, type Variant } from "../src/overlay/variant";

/** 33:33:ff + the address's last 24 bits: where a neighbour solicitation for it goes. */
export function solicitedNodeMac(addr: string): string {
  const low = Number(parseIPv6(addr) & 0xffffffn);
  const hex = low.toString(16).padStart(6, "0");
  return `33:33:ff:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/** A host resolving a remote host draws an answer from its own VTEP: nothing crosses the underlay. */
export function ndAnsweredLocally(from: OverlayHost, to: OverlayHost): Check {
  return {
    quiet: true,
    name: `neighbour discovery: ${from.name} resolving ${to.name} is answered by ${from.vtep} (0 VXLAN packets)`,
    async run(ctx) {
      let answered = false;
      const n = await countVxlanPackets(ctx, from.vtep, solicitedNodeMac(address(to)), async () => {
        await execOk(ctx, from.name, ["ip", "-6", "neigh", "flush", "dev", "eth0"]);
        answered = (await ctx.exec(from.name, ["ping", "-6", "-c1", "-W1", address(to)])).code === 0;
      });
      return {
        ok: answered && n === 0,
        detail: `ping ${answered ? "answered" : "failed"}, ${n} solicitation(s) sent over VXLAN`,
      };
    },
  };
}

/** An address nobody registered gets no answer from any remote host. */
export function unregisteredIsolated(t: Topology, from: OverlayHost): Check {
  // Hosts get ff::10 upwards (200 at most): ::ffff is never registered.
  const rogue = "2001:db8:ff::ffff";
  const targets = t.hosts.filter((h) => h.vtep !== from.vtep);
  return {
    quiet: true,
    name: `isolation: unregistered ${rogue} on ${from.name} reaches no remote host`,
    async run(ctx) {
      // Without the address, every ping from it fails and isolation would pass for nothing.
      await execOk(ctx, from.name, ["ip", "-6", "addr", "add", `${rogue}/64`, "dev", "eth0", "nodad"]);
      try {
        const r = await Promise.all(
          targets.map((h) => ctx.exec(from.name, ["ping", "-6", "-c1", "-W1", "-I", rogue, address(h)])),
        );
        const answered = targets.filter((_, i) => r[i]?.code === 0).map((h) => h.name);
        return {
          ok: answered.length === 0,
          detail: answered.length
            ? `answered by ${answered.join(", ")}`
            : `none of ${targets.length} answered`,
        };
      } finally {
        await ctx.exec(from.name, ["ip", "-6", "addr", "del", `${rogue}/64`, "dev", "eth0"]);
      }
    },
  };
}

export const variant: Variant = {
  name: "unicast-static-nd",
  summary:
    "no flooding at all: proxy ND from static neighbour entries, static MAC entries, zero amplification",
  commands: (t) =>
    perVtep(t, (v) => [
      ...vtepBase(t, v, { flags: ["nolearning", "proxy"] }),
      ...staticMacEntries(t, v),
      ...neighEntries(t, v),
    ]),
  amplification: () => 0,
  checks: (t) => {
    const h = probeHost(t);
    const remote = t.hosts.find((x) => x.vtep !== h.vtep) ?? h;
    const ping = reachability(hostPairs(t));
    return [
      ping,
      paths(t),
      // Nothing learned even after every host has talked.
      after(
        ping,
        fdbCheck("no all-zeros entry, one static entry per remote MAC, nothing learned", (_ctx, v, fdb) =>
          setDiff(
            fdb
              .filter(isStatic)
              .map(fdbKey)
              .concat(fdb.filter((e) => !isStatic(e)).map((e) => `learned ${fdbKey(e)}`)),
            remoteHosts(t, v).map((x) => fdbKey({ mac: x.mac, dst: loopbackOf(t, x.vtep) })),
          ),
        ),
      ),
      after(ping, neighPerRemoteHost(t, "one permanent neighbour entry per remote host on the VXLAN device")),
      ndAnsweredLocally(h, remote),
      amplification(h, 0),
      unknownUnicast(h, 0),
      unregisteredIsolated(t, h),
    ];
  },
};
