// Stack config values arrive as strings; this turns them into a LabSpec. Range checks are left
// to resolveTopology so there is one source of truth for what is valid.
import { LIMITS } from "./constants";
import { TopologyError } from "./errors";
import type { LabSpec } from "./types";

export const CONFIG_KEYS = ["variant", "vteps", "routers", "hostsPerVtep", "placement", "mtu"] as const;

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

function range(key: keyof typeof LIMITS): string {
  return `an integer from ${LIMITS[key].min} to ${LIMITS[key].max}`;
}

function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : undefined;
}

/** Accepts "1,2,1" or "[1,2,1]"; undefined when not a list of numbers. */
function parsePlacement(text: string): number[] | undefined {
  const t = text.trim();
  let items: unknown[];
  if (t.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      return undefined;
    }
    if (!Array.isArray(parsed)) return undefined;
    items = parsed;
  } else {
    items = t.split(",");
  }
  const out: number[] = [];
  for (const item of items) {
    const n = typeof item === "number" ? item : typeof item === "string" ? parseDecimal(item) : undefined;
    if (n === undefined || !Number.isFinite(n)) return undefined;
    out.push(n);
  }
  return out;
}

/**
 * Builds a LabSpec from stack config. `get` returns the raw value of a key (without the project
 * namespace) or undefined when unset. The variant defaults to the stack name.
 * Throws TopologyError naming every key that is not a number.
 */
export function specFromConfig(stack: string, get: (key: string) => string | undefined): LabSpec {
  const problems: string[] = [];
  const spec: LabSpec = { stack, variant: get("variant") ?? stack };

  const numeric: [key: "vteps" | "routers" | "hostsPerVtep" | "mtu", valid: string][] = [
    ["vteps", range("vteps")],
    ["routers", range("routers")],
    ["hostsPerVtep", range("hostsPerVtep")],
    ["mtu", `${range("mtu")} (bytes, underlay link MTU)`],
  ];
  for (const [key, valid] of numeric) {
    const raw = get(key);
    if (raw === undefined) continue;
    const n = parseDecimal(raw);
    if (n === undefined) problems.push(`config key "${key}" must be ${valid}, got ${JSON.stringify(raw)}`);
    else spec[key] = n;
  }

  const rawPlacement = get("placement");
  if (rawPlacement !== undefined) {
    const placement = parsePlacement(rawPlacement);
    if (placement === undefined) {
      problems.push(
        `config key "placement" must be a comma-separated list or a JSON array of host counts per VTEP, ` +
          `each ${range("hostsPerVtep")} (e.g. 1,2,1 or [1,2,1]), got ${JSON.stringify(rawPlacement)}`,
      );
    } else {
      spec.placement = placement;
    }
  }

  if (problems.length > 0) throw new TopologyError(problems);
  return spec;
}

/** Keys the program itself reads besides the topology's. */
export const RUN_CONFIG_KEYS = ["convergeTimeout"] as const;

export const CONVERGE_TIMEOUT = { min: 0, max: 600, default: 90 } as const;

/**
 * The rest of a stack's config: the convergence bound, and every key in the
 * project's namespace that nothing reads (a typo must not pass silently).
 */
export function runConfig(
  get: (key: string) => string | undefined,
  keys: readonly string[],
): { convergeTimeoutSeconds: number; problems: string[] } {
  const problems: string[] = [];
  const known: readonly string[] = [...CONFIG_KEYS, ...RUN_CONFIG_KEYS];
  for (const k of keys) {
    if (!known.includes(k)) problems.push(`unknown config key "${k}"; valid keys: ${known.join(", ")}`);
  }
  const raw = get("convergeTimeout");
  let convergeTimeoutSeconds: number = CONVERGE_TIMEOUT.default;
  if (raw !== undefined) {
    const n = parseDecimal(raw);
    if (n === undefined || !Number.isInteger(n) || n < CONVERGE_TIMEOUT.min || n > CONVERGE_TIMEOUT.max) {
      problems.push(
        `convergeTimeout must be an integer from ${CONVERGE_TIMEOUT.min} to ${CONVERGE_TIMEOUT.max} (seconds; 0 checks once without waiting), got "${raw}"`,
      );
    } else {
      convergeTimeoutSeconds = n;
    }
  }
  return { convergeTimeoutSeconds, problems };
}
