// The agent's config file. Every problem is reported at once, by field name,
// so a bad file is fixed in one round trip rather than one error per restart.

import { parseIpv6 } from "./addr";

export type AgentMode = "l2" | "nd";

export interface AgentConfig {
  /** own VXLAN source address (the VTEP loopback); entries with this vtep are ours */
  vtep: string;
  vni: number;
  /** the VXLAN device, e.g. vxlan100 */
  device: string;
  /** the bridge the VXLAN device and the access ports are enslaved to */
  bridge: string;
  /** etcd v3 JSON gateway base URL, e.g. http://[2001:db8:fffe::2]:2379 */
  registry: string;
  /** l2: answer l2miss, install solicited-node multicast entries; nd: answer l2miss and l3miss */
  mode: AgentMode;
  /** seconds */
  leaseTtl: number;
  pollMs: number;
  statusFile: string;
  /** key prefix, ends with "/" */
  prefix: string;
}

const FIELDS = [
  "vtep",
  "vni",
  "device",
  "bridge",
  "registry",
  "mode",
  "leaseTtl",
  "pollMs",
  "statusFile",
  "prefix",
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `invalid agent config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n  - ${problems.join("\n  - ")}`,
    );
    this.name = "ConfigError";
  }
}

// IFNAMSIZ is 16 with the NUL; the name also lands in nft and batch lines unquoted.
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

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
  const o = raw as Record<string, unknown>;
  const problems: string[] = [];
  const bad = (field: string, want: string) => {
    problems.push(
      field in o
        ? `${field}: expected ${want}, got ${JSON.stringify(o[field])}`
        : `${field}: missing (${want})`,
    );
  };
  for (const k of Object.keys(o)) {
    if (!(FIELDS as readonly string[]).includes(k)) {
      problems.push(`${k}: unknown field; valid fields: ${FIELDS.join(", ")}`);
    }
  }

  const vtep = typeof o.vtep === "string" ? parseIpv6(o.vtep) : undefined;
  if (!vtep || vtep === "::") bad("vtep", "an IPv6 address");

  const int = (field: string, min: number, max: number): number => {
    const v = o[field];
    if (typeof v === "number" && Number.isInteger(v) && v >= min && v <= max) return v;
    bad(field, `an integer from ${min} to ${max}`);
    return min;
  };
  const vni = int("vni", 1, 16777215);

  const ifname = (field: string): string => {
    const v = o[field];
    if (typeof v === "string" && IFNAME_RE.test(v)) return v;
    bad(field, "an interface name (1-15 of A-Z a-z 0-9 _ . -)");
    return "";
  };
  const device = ifname("device");
  const bridge = ifname("bridge");
  if (device !== "" && device === bridge) problems.push("bridge: must differ from device");

  let registry = "";
  if (typeof o.registry === "string") {
    try {
      const u = new URL(o.registry);
      if ((u.protocol === "http:" || u.protocol === "https:") && u.pathname === "/" && !u.search) {
        registry = `${u.protocol}//${u.host}`;
      }
    } catch {
      // reported below
    }
  }
  if (registry === "") bad("registry", 'an http(s) base URL such as "http://[2001:db8:fffe::2]:2379"');

  const mode = o.mode;
  if (mode !== "l2" && mode !== "nd") bad("mode", '"l2" or "nd"');

  const leaseTtl = int("leaseTtl", 3, 3600);
  const pollMs = int("pollMs", 100, 60000);

  const statusFile = o.statusFile;
  if (typeof statusFile !== "string" || !statusFile.startsWith("/") || statusFile.endsWith("/")) {
    bad("statusFile", "an absolute file path");
  }
  const prefix = o.prefix;
  if (typeof prefix !== "string" || prefix.length < 2 || !prefix.endsWith("/")) {
    bad("prefix", 'a key prefix ending in "/", e.g. "/vxlan-lab/100/"');
  }

  if (problems.length > 0 || !vtep) throw new ConfigError(problems);
  return {
    vtep,
    vni,
    device,
    bridge,
    registry,
    mode: mode as AgentMode,
    leaseTtl,
    pollMs,
    statusFile: statusFile as string,
    prefix: prefix as string,
  };
}
