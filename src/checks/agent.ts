/**
 * Checks of the dynamic variants' control plane: what the registry holds (read
 * as JSON with etcdctl) and what each agent reports (its status file, JSON).
 */
import { AgentStatusSchema } from "../agent/status";
import type { OverlayHost, Topology } from "../model";
import { z } from "zod";
import { parseJson } from "../util/json";
import { bareAddress as address, loopbackOf } from "../overlay/commands";
import { AGENT_FILES } from "../overlay/agent";
import { fdbCheck, fdbKey, sendToUnknownMac, setDiff, UNKNOWN_MAC, vxlanFdb } from "./common";
import { EtcdRangeSchema, RegistryValueSchema } from "./schemas";
import type { Check, CheckContext } from "./types";

export function agentOf(t: Topology, vtep: string): string {
  const a = t.registry?.agents[vtep];
  if (!a) throw new Error(`${vtep} has no agent (variant ${t.variant})`);
  return a;
}

/** The part of the agent's status file the checks read (the recorded fixtures keep just these). */
const CheckedStatusSchema = AgentStatusSchema.pick({
  pid: true,
  registry: true,
  misses: true,
  resolved: true,
  unknown: true,
  installed: true,
  rssBytes: true,
}).extend({
  /** Read by the fault suite (which agent wrote this file); the recordings predate it. */
  startedAt: z.string().optional(),
});

export async function agentStatus(
  ctx: CheckContext,
  vtep: string,
): Promise<z.output<typeof CheckedStatusSchema>> {
  const r = await ctx.exec(agentOf(ctx.t, vtep), ["cat", AGENT_FILES.status]);
  if (r.code !== 0) throw new Error(`${vtep}'s agent has no status file: ${r.stderr.trim()}`);
  return parseJson(CheckedStatusSchema, r.stdout, `${vtep}'s agent status file`);
}

/** Every key under the lab's prefix, decoded, with its lease. */
export async function registryEntries(
  ctx: CheckContext,
): Promise<{ key: string; value: Record<string, string>; lease: string }[]> {
  const r = ctx.t.registry;
  if (!r) throw new Error(`variant ${ctx.t.variant} has no registry`);
  const out = await ctx.exec(r.node, ["etcdctl", "get", "--prefix", r.keyPrefix, "-w", "json"]);
  if (out.code !== 0) throw new Error(`etcdctl get exited ${out.code}: ${out.stderr.trim()}`);
  const kvs = parseJson(EtcdRangeSchema, out.stdout, "etcdctl get -w json").kvs ?? [];
  const b64 = (s: string | undefined) => Buffer.from(s ?? "", "base64").toString("utf8");
  return kvs.map((kv) => ({
    key: b64(kv.key),
    value: parseJson(RegistryValueSchema, b64(kv.value) || "{}", `registry value of ${b64(kv.key)}`),
    lease: String(kv.lease ?? "0"),
  }));
}

/** Each host is in the registry, MAC -> its VTEP and address -> MAC, under a lease, published by its own VTEP. */
export function registryHoldsHosts(t: Topology): Check {
  return {
    name: `registry: every host is published by its VTEP (MAC -> VTEP, IPv6 -> MAC), each under a lease`,
    async run(ctx) {
      const prefix = t.registry?.keyPrefix ?? "";
      const entries = await registryEntries(ctx);
      const seen = entries.map((e) =>
        e.key.startsWith(`${prefix}mac/`)
          ? `mac ${e.key.slice(prefix.length + 4)} -> ${e.value.vtep}`
          : `ip ${e.key.slice(prefix.length + 3)} -> ${e.value.mac}`,
      );
      const wanted = t.hosts.flatMap((h) => [
        `mac ${h.mac} -> ${loopbackOf(t, h.vtep)}`,
        `ip ${address(h)} -> ${h.mac}`,
      ]);
      const unleased = entries.filter((e) => e.lease === "0").map((e) => e.key);
      const absent = wanted.filter((x) => !seen.includes(x));
      const missing = absent.length ? `missing ${absent.join(", ")}` : undefined;
      // Whatever else a host sends from is learned too: shown, not a failure.
      const extra = seen.filter((x) => !wanted.includes(x));
      const bad = [missing, unleased.length ? `without a lease: ${unleased.join(", ")}` : undefined].filter(
        Boolean,
      );
      const also = extra.length ? `; also learned: ${extra.join(", ")}` : "";
      return {
        ok: bad.length === 0,
        detail: bad.length ? bad.join("; ") : `${entries.length} entries, all leased${also}`,
      };
    },
  };
}

/** Every agent serves: registry reachable, nothing failed on its channels. */
export function agentsHealthy(t: Topology): Check {
  const vteps = t.nodes.filter((n) => n.kind === "vtep").map((n) => n.name);
  return {
    name: `agents: one per VTEP, connected to the registry`,
    async run(ctx) {
      const statuses = await Promise.all(vteps.map((v) => agentStatus(ctx, v)));
      const down = vteps.filter((_, i) => statuses[i]?.registry !== "up");
      const rss = statuses.map((s) => Math.round((s.rssBytes ?? 0) / 1e6));
      return {
        ok: down.length === 0,
        detail: down.length
          ? `registry down for ${down.join(", ")}`
          : `all up; resident memory ${rss.join(", ")} MB`,
      };
    },
  };
}

/**
 * A frame to a MAC nobody registered: the miss reaches the agent, which
 * counts it and installs nothing (no guess, no flood).
 */
export function unknownMissCounted(host: OverlayHost): Check {
  const mac = UNKNOWN_MAC;
  return {
    quiet: true,
    name: `unknown MAC ${mac} from ${host.name}: ${host.vtep}'s agent counts the miss and installs nothing`,
    async run(ctx) {
      const before = await agentStatus(ctx, host.vtep);
      await sendToUnknownMac(ctx, host, 2);
      await new Promise((r) => setTimeout(r, 1200));
      const after = await agentStatus(ctx, host.vtep);
      const installed = (await vxlanFdb(ctx, host.vtep)).some((e) => e.mac === mac);
      const counted = after.unknown.l2 - before.unknown.l2;
      return {
        ok: counted > 0 && !installed,
        detail: `${counted} unknown L2 miss(es) counted, ${installed ? "an entry was installed" : "no entry installed"}`,
      };
    },
  };
}

/**
 * The VXLAN FDB holds only what the agent installed (`extern_learn`, the
 * kernel's own mark): one entry per remote host MAC, plus `more` (what the
 * variant derives besides), and nothing else.
 */
export function agentFdbCheck(
  t: Topology,
  name: string,
  more: (ctx: CheckContext, vtep: string) => Promise<string[]> = () => Promise.resolve([]),
): Check {
  return fdbCheck(`agent entries only (extern_learn): ${name}`, async (ctx, v, fdb) => {
    const foreign = fdb.filter((e) => !e.flags.includes("extern_learn")).map(fdbKey);
    if (foreign.length) return `entries the agent did not install: ${foreign.join(", ")}`;
    const macs = t.hosts
      .filter((x) => x.vtep !== v)
      .map((x) => fdbKey({ mac: x.mac, dst: loopbackOf(t, x.vtep) }));
    return setDiff(fdb.map(fdbKey), [...macs, ...(await more(ctx, v))]);
  });
}
