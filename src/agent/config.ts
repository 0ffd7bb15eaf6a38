// The agent's config file. Every problem is reported at once, by field name,
// so a bad file is fixed in one round trip rather than one error per restart.

import { z } from "zod";
import { fieldProblems } from "../util/json";
import { parseIpv6 } from "./addr";

// IFNAMSIZ is 16 with the NUL; the name also lands in nft and batch lines unquoted.
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

const int = (min: number, max: number) => {
  const error = `an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};
const IFNAME = "an interface name (1-15 of A-Z a-z 0-9 _ . -)";
const ifname = () => z.string({ error: IFNAME }).regex(IFNAME_RE, { error: IFNAME });
const REGISTRY = 'an http(s) base URL such as "http://[2001:db8:fffe::2]:2379"';

/** A base URL, normalised to scheme://host[:port]; undefined for anything else. */
function baseUrl(text: string): string | undefined {
  try {
    const u = new URL(text);
    if ((u.protocol === "http:" || u.protocol === "https:") && u.pathname === "/" && !u.search) {
      return `${u.protocol}//${u.host}`;
    }
  } catch {
    // not a URL
  }
  return undefined;
}

/** The agent's config file; overlay/agent.ts writes it, the agent reads it through this. */
export const AgentConfigSchema = z
  .strictObject({
    /** own VXLAN source address (the VTEP loopback); entries with this vtep are ours */
    vtep: z
      .string({ error: "an IPv6 address" })
      .transform((s) => parseIpv6(s) ?? "::")
      .refine((v) => v !== "::", { error: "an IPv6 address" }),
    vni: int(1, 16777215),
    /** the VXLAN device, e.g. vxlan100 */
    device: ifname(),
    /** the bridge the VXLAN device and the access ports are enslaved to */
    bridge: ifname(),
    /** etcd v3 JSON gateway base URL, e.g. http://[2001:db8:fffe::2]:2379 */
    registry: z
      .string({ error: REGISTRY })
      .transform((s) => baseUrl(s) ?? "")
      .refine((v) => v !== "", { error: REGISTRY }),
    /** l2: answer l2miss, install solicited-node multicast entries; nd: answer l2miss and l3miss */
    mode: z.enum(["l2", "nd"], { error: '"l2" or "nd"' }),
    /** seconds */
    leaseTtl: int(3, 3600),
    pollMs: int(100, 60000),
    statusFile: z
      .string({ error: "an absolute file path" })
      .refine((p) => p.startsWith("/") && !p.endsWith("/"), { error: "an absolute file path" }),
    /** key prefix, ends with "/" */
    prefix: z
      .string({ error: 'a key prefix ending in "/", e.g. "/vxlan-lab/100/"' })
      .refine((p) => p.length >= 2 && p.endsWith("/"), {
        error: 'a key prefix ending in "/", e.g. "/vxlan-lab/100/"',
      }),
  })
  .refine((c) => c.device !== c.bridge, {
    error: "must differ from device",
    path: ["bridge"],
    params: { plain: true },
  });

export type AgentConfig = z.output<typeof AgentConfigSchema>;
export type AgentMode = AgentConfig["mode"];

const FIELDS = Object.keys(AgentConfigSchema.shape);

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `invalid agent config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

/** Every problem is reported at once, by field name, saying what is valid. */
export function parseConfig(text: string): AgentConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`not JSON: ${(e as Error).message}`]);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(["expected a JSON object"]);
  }
  const r = AgentConfigSchema.safeParse(raw);
  if (!r.success)
    throw new ConfigError(fieldProblems(r.error.issues, raw as Record<string, unknown>, FIELDS));
  return r.data;
}
