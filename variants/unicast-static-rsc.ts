/**
 * Route short circuit: as static flooding, plus `rsc`. H1 (2001:db8:ff::10)
 * and H4 (2001:db8:fe::13) sit in different subnets and route through a
 * gateway that does not exist. Its MAC is in every VTEP's FDB with the
 * `router` flag; the VTEP then looks the inner destination up in its own
 * neighbour table and switches the frame straight to the remote host.
 * Replies keep hop limit 64: switched, not routed.
 */
import { after } from "../src/checks/run";
import {
  address,
  amplification,
  fdbCheck,
  hostPairs,
  isStatic,
  neighCheck,
  paths,
  reachability,
  setDiff,
  withCounters,
} from "../src/checks/common";
import type { Check, CheckContext } from "../src/checks/types";
import { hostsBehind, type OverlayHost, type Topology } from "../src/model";
import { ALL_ZEROS, floodEntries, neighEntries, remoteHosts, vtepBase } from "../src/overlay/commands";
import { merge, perVtep, probeHost, vtepCount, type Variant } from "../src/overlay/variant";
import { floodTo } from "./unicast-static-default";

/**
 * The absent routers of this VTEP's own hosts. Only those: a static entry for a
 * remote gateway's MAC would make the kernel drop every frame short-circuited
 * over there (it arrives with that MAC as source, and static entries never move).
 */
const localGateways = (t: Topology, vtep: string) => {
  const macs = new Map<string, { address: string; mac: string }>();
  for (const h of hostsBehind(t, vtep)) if (h.gateway) macs.set(h.gateway.mac, h.gateway);
  return [...macs.values()];
};

/** Where a frame for the gateway would go without rsc: the first underlay router, which drops it. */
const nowhere = (t: Topology) => t.nodes.find((n) => n.kind === "router")?.loopback ?? "";

function hostRoutes(t: Topology): Record<string, string[]> {
  return Object.fromEntries(
    t.hosts.flatMap((h) =>
      h.gateway
        ? [
            [
              h.name,
              [
                `ip -6 neigh replace ${h.gateway.address} lladdr ${h.gateway.mac} dev eth0 nud permanent`,
                `ip -6 route replace default via ${h.gateway.address} dev eth0`,
              ],
            ],
          ]
        : [],
    ),
  );
}

/** Echo replies the VTEP bridges to the host, by hop limit: 64 means switched, less means routed. */
function replyCounters(ctx: CheckContext, host: OverlayHost, send: () => Promise<void>) {
  const port = `oifname "${host.vtepPort}" icmpv6 type echo-reply`;
  const chain = [
    "type filter hook forward priority 0; policy accept;",
    `${port} ip6 hoplimit 64 counter name "hop64"`,
    `${port} ip6 hoplimit != 64 counter name "routed"`,
  ].join("\n    ");
  return withCounters(
    ctx,
    host.vtep,
    { family: "bridge", name: "vxlab_rsc", counters: ["hop64", "routed"], chain },
    send,
  );
}

/** The seed's demonstration: from H1, `ping -c2` the host across the absent router. */
function seedPing(t: Topology): Check {
  const from = probeHost(t);
  const to = [...t.hosts]
    .reverse()
    .find((h) => h.vtep !== from.vtep && h.address.split("/")[0] !== undefined);
  return {
    quiet: true,
    name: `rsc: ${from.name} pings ${to?.name} (${to ? address(to) : "?"}) across an absent router; replies arrive with hop limit 64`,
    async run(ctx) {
      if (!to) return { ok: false, detail: "no remote host" };
      let code = -1;
      const c = await replyCounters(ctx, from, async () => {
        code = (await ctx.exec(from.name, ["ping", "-6", "-c2", "-W1", address(to)])).code;
      });
      return {
        ok: code === 0 && c.hop64 === 2 && c.routed === 0,
        detail: `ping exit ${code}; echo replies to ${from.name}: ${c.hop64} with hop limit 64, ${c.routed} decremented`,
      };
    },
  };
}

export const variant: Variant = {
  name: "unicast-static-rsc",
  summary:
    "route short circuit: the VTEP switches routed frames itself from router-flagged FDB entries and its neighbour table",
  commands: (t) =>
    merge(
      perVtep(t, (v) => [
        ...vtepBase(t, v, { flags: ["rsc"] }),
        ...floodEntries(t, v),
        ...neighEntries(t, v),
        ...localGateways(t, v).map(
          (g) => `bridge fdb add ${g.mac} dev ${t.vxlan.device} dst ${nowhere(t)} router`,
        ),
      ]),
      hostRoutes(t),
    ),
  amplification: (t) => vtepCount(t) - 1,
  checks: (t) => {
    const ping = reachability(hostPairs(t));
    return [
      ping,
      paths(t),
      after(
        ping,
        fdbCheck(
          "local hosts' gateway MAC flagged router; static all-zeros entry per remote VTEP",
          (_ctx, v, fdb) => {
            const routers = fdb.filter((e) => e.flags.includes("router")).map((e) => e.mac);
            const bad = setDiff(
              routers,
              localGateways(t, v).map((g) => g.mac),
            );
            if (bad) return `router entries: ${bad}`;
            return setDiff(
              fdb.filter((e) => e.mac === ALL_ZEROS && isStatic(e)).map((e) => `${e.mac}>${e.dst ?? ""}`),
              floodTo(t, v),
            );
          },
        ),
      ),
      after(
        ping,
        neighCheck("a neighbour entry for every remote host on the VXLAN device", (_ctx, v, neigh) =>
          setDiff(
            neigh.map((e) => `${e.dst}=${e.lladdr ?? ""}`),
            remoteHosts(t, v).map((h) => `${address(h)}=${h.mac}`),
          ),
        ),
      ),
      seedPing(t),
      amplification(probeHost(t), vtepCount(t) - 1),
    ];
  },
};
