/**
 * Multicast: BUM frames go to group ff35::100 and the underlay replicates
 * them with source-specific PIM (SSM): no rendezvous point, so no router is
 * a single point of failure. One BUM frame leaves its VTEP as exactly one
 * VXLAN packet. Learning is on: unicast replies teach the FDB where each MAC
 * lives.
 *
 * Each VTEP is a PIM router on both uplinks and sources VXLAN from its own
 * address on a veth pair inside it (src/model/multicast.ts says why): the
 * VXLAN device sends into vxs and joins the group there, vxsp holds the
 * source address and, in FRR, static (S,G) state for every other VTEP.
 */
import { after } from "../src/checks/run";
import {
  amplification,
  execOk,
  fdbCheck,
  hostPairs,
  paths,
  reachability,
  setDiff,
  unknownUnicast,
} from "../src/checks/common";
import type { Check } from "../src/checks/types";
import { remoteSources, SOURCE_VETH, vxlanSource, type Topology } from "../src/model";
import { ALL_ZEROS, remoteHosts, vtepBase } from "../src/overlay/commands";
import { perVtep, probeHost, type Variant } from "../src/overlay/variant";
import { parseJson } from "../src/util/json";
import { PimStateSchema } from "../src/checks/schemas";

const PIM_STATE = "show ipv6 pim state json";

/** The veth pair, then vtepBase's bridge and VXLAN device sourced on it. */
function commands(t: Topology, vtep: string): string[] {
  const { vxlan, pim } = SOURCE_VETH;
  const mtu = t.underlay.mtu;
  return [
    `ip link del ${vxlan} 2>/dev/null || true`,
    `ip link add ${vxlan} mtu ${mtu} type veth peer name ${pim} mtu ${mtu}`,
    // Set here rather than by zebra: the VXLAN device sends from it at once.
    `ip -6 addr add ${vxlanSource(t, vtep)}/128 dev ${pim} nodad`,
    `ip link set ${pim} up && ip link set ${vxlan} up`,
    // pim6d must hold vxsp as a multicast interface before it gets static
    // groups (src/model/frr.ts says why): wait until its per-VIF counters give
    // vxsp a VIF number, up to 20 s. They list every PIM interface, one with
    // no VIF yet as vif -1: waiting for the name alone let pim6d abort on 3 of
    // 31 VTEPs of a large lab.
    `i=0; until vtysh -c 'show ipv6 multicast count json' | jq -e '.${pim}.vif >= 0' >/dev/null; do i=$((i+1)); [ $i -lt 200 ] || { echo "pim6d has no VIF for ${pim}" >&2; exit 1; }; sleep 0.1; done`,
    `vtysh -c 'configure terminal' -c 'interface ${pim}' ${remoteSources(t, vtep)
      .map((s) => `-c 'ipv6 mld static-group ${t.vxlan.group} ${s}'`)
      .join(" ")} -c 'end'`,
    ...vtepBase(t, vtep, { local: vxlanSource(t, vtep), group: { address: t.vxlan.group, dev: vxlan } }),
  ];
}

/**
 * Every VTEP's PIM holds an installed (S,G) for each other VTEP's source,
 * delivered to vxsp, and its own source's (S,G) entering on vxsp and sent up
 * at least one uplink (a router joined it).
 */
function pimTrees(t: Topology): Check {
  const vteps = t.nodes.filter((n) => n.kind === "vtep").map((n) => n.name);
  const G = t.vxlan.group;
  return {
    name: `multicast routing: every VTEP joined each other VTEP's (S,${G}) on ${SOURCE_VETH.pim}, and a router joined its own source`,
    async run(ctx) {
      const problems: string[] = [];
      for (const v of vteps) {
        const out = await execOk(ctx, v, ["vtysh", "-c", PIM_STATE]);
        const state = parseJson(PimStateSchema, out || "{}", `${v}: vtysh -c '${PIM_STATE}'`)[G] ?? {};
        // An (S,G) entry: { installed, ..., <iif>: { <oif>: {...} } }.
        const flows = (s: string) =>
          Object.entries(state[s] ?? {}).flatMap(([iif, oifs]) =>
            oifs && typeof oifs === "object" ? Object.keys(oifs).map((oif) => `${iif}>${oif}`) : [],
          );
        for (const s of remoteSources(t, v)) {
          if (!flows(s).some((f) => f.endsWith(`>${SOURCE_VETH.pim}`)))
            problems.push(`${v}: no (${s},G) to ${SOURCE_VETH.pim}`);
        }
        const own = vxlanSource(t, v);
        if (!flows(own).some((f) => f.startsWith(`${SOURCE_VETH.pim}>`)))
          problems.push(`${v}: its own source ${own} joined by no router`);
      }
      return {
        ok: problems.length === 0,
        detail: problems.length
          ? problems.join("; ")
          : `${vteps.length} VTEPs, each joined to ${vteps.length - 1} remote source(s)`,
      };
    },
  };
}

export const variant: Variant = {
  name: "multicast",
  summary:
    "BUM frames to ff35::100, replicated by source-specific PIM in the underlay (no RP); one VXLAN packet per BUM frame; MACs learned",
  commands: (t) => perVtep(t, (v) => commands(t, v)),
  // Its VTEP commands give pim6d its static groups through vtysh.
  talksToFrr: true,
  amplification: () => 1,
  checks: (t) => {
    const ping = reachability(hostPairs(t));
    return [
      pimTrees(t),
      ping,
      paths(t),
      after(
        ping,
        fdbCheck(
          `the group's all-zeros entry (${t.vxlan.group}); remote MACs learned behind their VTEP's source address`,
          (_ctx, v, fdb) => {
            const group = fdb.filter((e) => e.mac === ALL_ZEROS).map((e) => e.dst ?? "");
            if (group.join() !== t.vxlan.group)
              return `all-zeros entries: ${group.join(", ") || "none"}, expected ${t.vxlan.group}`;
            return setDiff(
              fdb.filter((e) => e.mac !== ALL_ZEROS).map((e) => `${e.mac}>${e.dst ?? ""}`),
              remoteHosts(t, v).map((h) => `${h.mac}>${vxlanSource(t, h.vtep)}`),
            );
          },
        ),
      ),
      // Counted where the VXLAN device sends: PIM on the VTEP then copies the
      // packet up each uplink whose router joined this source (1 or 2, not N).
      amplification(probeHost(t), 1, undefined, { via: [SOURCE_VETH.vxlan] }),
      unknownUnicast(probeHost(t), 1, { via: [SOURCE_VETH.vxlan] }),
    ];
  },
};
