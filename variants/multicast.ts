/**
 * Multicast: BUM frames go to group ff05::100 and the underlay routers
 * replicate them (pim6d, any-source multicast, static RP on R1, MLD toward
 * the VTEPs). One BUM frame leaves its VTEP as exactly one VXLAN packet.
 * Learning is on: unicast replies teach the FDB where each MAC lives.
 *
 * Each VTEP sources VXLAN from its first uplink's address and joins the group
 * there: the first-hop router must see the source as directly connected to
 * register it with the RP, which a loopback source is not.
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
import { getNode, type Topology } from "../src/model";
import { ALL_ZEROS, remoteHosts, vtepBase } from "../src/overlay/commands";
import { perVtep, probeHost, type Variant } from "../src/overlay/variant";

/** The VTEP's first uplink: its name and address there (the VXLAN source). */
export function firstUplink(t: Topology, vtep: string): { iface: string; address: string } {
  const up = getNode(t, vtep).interfaces.find((i) => i.address !== undefined);
  if (!up?.address) throw new Error(`${vtep} has no underlay interface`);
  return { iface: up.name, address: up.address.split("/")[0] ?? "" };
}

/** R1 (the RP) has MLD state for the group on every link toward a VTEP. */
function mldGroups(t: Topology): Check {
  const r1 = t.nodes.find((n) => n.kind === "router");
  const vtepLinks = (r1?.interfaces ?? []).map((i) => i.name);
  return {
    name: `multicast routing: ${r1?.name} learned ${t.vxlan.group} by MLD on ${vtepLinks.join(", ")}`,
    async run(ctx) {
      if (!r1) return { ok: false, detail: "no router" };
      const out = await execOk(ctx, r1.name, ["vtysh", "-c", "show ipv6 mld groups json"]);
      const data = JSON.parse(out || "{}") as Record<string, { groups?: { group: string }[] } | number>;
      const joined = Object.entries(data)
        .filter(([, v]) => typeof v === "object" && v.groups?.some((g) => g.group === t.vxlan.group))
        .map(([iface]) => iface);
      const bad = setDiff(joined, vtepLinks);
      return { ok: !bad, detail: bad ?? `joined on ${joined.join(", ")}` };
    },
  };
}

export const variant: Variant = {
  name: "multicast",
  // VXLAN is sourced from, and the group joined on, the first uplink.
  usesUplinks: true,
  summary:
    "BUM frames to ff05::100, replicated by PIM in the underlay; one VXLAN packet per BUM frame; MACs learned",
  commands: (t) =>
    perVtep(t, (v) => {
      const up = firstUplink(t, v);
      return vtepBase(t, v, { local: up.address, group: { address: t.vxlan.group, dev: up.iface } });
    }),
  amplification: () => 1,
  checks: (t) => {
    const ping = reachability(hostPairs(t));
    return [
      mldGroups(t),
      ping,
      paths(t),
      after(
        ping,
        fdbCheck(
          `the group's all-zeros entry (${t.vxlan.group}); remote MACs learned behind their VTEP's uplink`,
          (_ctx, v, fdb) => {
            const group = fdb.filter((e) => e.mac === ALL_ZEROS).map((e) => e.dst ?? "");
            if (group.join() !== t.vxlan.group)
              return `all-zeros entries: ${group.join(", ") || "none"}, expected ${t.vxlan.group}`;
            return setDiff(
              fdb.filter((e) => e.mac !== ALL_ZEROS).map((e) => `${e.mac}>${e.dst ?? ""}`),
              remoteHosts(t, v).map((h) => `${h.mac}>${firstUplink(t, h.vtep).address}`),
            );
          },
        ),
      ),
      amplification(probeHost(t), 1),
      unknownUnicast(probeHost(t), 1),
    ];
  },
};
