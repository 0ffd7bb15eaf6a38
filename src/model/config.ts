// The lab's configuration schemas (zod), shared by the Pulumi program, the CLI
// and the bench: a LabSpec's fields (what resolveTopology accepts), and the
// stack config, whose values arrive as strings. Each field's error names what
// is valid; the checks across fields (placement against vteps, the variants'
// limits) are in topology.ts, on the fields that passed.
import { z } from "zod";
import { BFD_FAST_MAX_VTEPS, BFD_INTERVAL } from "./bfd";
import { LIMITS, PROJECT_NAME, STACK_NAME, VXLAN_OVERHEAD } from "./constants";
import { TopologyError } from "./errors";
import type { LabSpec } from "./types";
import { VARIANTS } from "./variants";

export const CONFIG_KEYS = [
  "variant",
  "vteps",
  "routers",
  "hostsPerVtep",
  "placement",
  "mtu",
  "bfdInterval",
  "engines",
  "enginePlacement",
] as const;

/** Keys the program itself reads besides the topology's. */
export const RUN_CONFIG_KEYS = ["convergeTimeout"] as const;

export const CONVERGE_TIMEOUT = { min: 0, max: 600, default: 90 } as const;

const show = (value: unknown): string => (typeof value === "string" ? JSON.stringify(value) : String(value));

type Range = { readonly min: number; readonly max: number };
const isIntIn = (n: unknown, r: Range): n is number =>
  typeof n === "number" && Number.isInteger(n) && n >= r.min && n <= r.max;

/** One issue at most: "<key> must be an integer from <min> to <max><why>, got <value>". */
function intIn(key: string, r: Range, why = "") {
  const error = (iss: { input?: unknown }) =>
    `${key} must be an integer from ${r.min} to ${r.max}${why}, got ${show(iss.input)}`;
  return z.unknown().transform((v, ctx) => {
    if (isIntIn(v, r)) return v;
    ctx.issues.push({ code: "custom", message: error({ input: v }), input: v });
    return z.NEVER;
  });
}

const perVtep = LIMITS.hostsPerVtep;

/** Why bfdInterval has a floor and what the default is, in the error. */
const BFD_WHY =
  ` (ms, BFD on every underlay link, detection after 3 missed; default 100 up to ${BFD_FAST_MAX_VTEPS} VTEPs, ` +
  "300 above, where 100 flapped on 2 CPUs)";

/** The fields of a LabSpec, each checked on its own (absent ones take their defaults later). */
export const LabSpecFieldsSchema = z.object({
  project: z
    .unknown()
    .refine((p) => typeof p === "string" && PROJECT_NAME.test(p), {
      error: (iss) =>
        `project name ${show(iss.input)} is invalid; it must match ${PROJECT_NAME} (letters, digits, "_", "." or "-")`,
    })
    .optional(),
  stack: z.unknown().refine((s) => typeof s === "string" && STACK_NAME.test(s), {
    error: (iss) =>
      `stack name ${show(iss.input)} is invalid; it must match ${STACK_NAME} ` +
      `(1 to 31 lower-case letters, digits or "-", not starting with "-") because it is part of container names`,
  }),
  variant: z.enum(VARIANTS, {
    error: (iss) => `unknown variant ${show(iss.input)}; valid variants: ${VARIANTS.join(", ")}`,
  }),
  vteps: intIn("vteps", LIMITS.vteps).optional(),
  routers: intIn("routers", LIMITS.routers).optional(),
  mtu: intIn(
    "mtu",
    LIMITS.mtu,
    ` (underlay link MTU; VXLAN over IPv6 takes ${VXLAN_OVERHEAD} bytes and the overlay needs at least 1280)`,
  ).optional(),
  hostsPerVtep: intIn("hostsPerVtep", perVtep).optional(),
  bfdInterval: intIn("bfdInterval", BFD_INTERVAL, BFD_WHY).optional(),
  placement: z
    .array(z.unknown(), {
      error: (iss) =>
        `placement must be a list of host counts, one per VTEP (e.g. [1,2,1]), got ${show(iss.input)}`,
    })
    .check((ctx) => {
      const bad = ctx.value.filter((n) => !isIntIn(n, perVtep));
      if (bad.length > 0) {
        ctx.issues.push({
          code: "custom",
          message: `placement entries must be integers from ${perVtep.min} to ${perVtep.max} (got ${bad.map(show).join(", ")})`,
          input: ctx.value,
        });
      }
    })
    .optional(),
});

/** Every problem of a LabSpec's fields, in field order, each naming what is valid. */
export function specFieldProblems(spec: unknown): { problems: string[]; bad: Set<string> } {
  const r = LabSpecFieldsSchema.safeParse(spec);
  if (r.success) return { problems: [], bad: new Set() };
  return {
    problems: r.error.issues.map((i) => i.message),
    bad: new Set(r.error.issues.map((i) => String(i.path[0] ?? ""))),
  };
}

// ---- the stack config: strings, as `pulumi config set` stores them ----

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

function range(key: keyof typeof LIMITS): string {
  return `an integer from ${LIMITS[key].min} to ${LIMITS[key].max}`;
}

function parseDecimal(text: string): number | undefined {
  const t = text.trim();
  return DECIMAL.test(t) ? Number(t) : undefined;
}

/** A decimal number written as text; the range is the LabSpec field's to check. */
const decimal = (key: string, valid: string) =>
  z.string().transform((raw, ctx) => {
    const n = parseDecimal(raw);
    if (n === undefined)
      ctx.issues.push({
        code: "custom",
        message: `config key "${key}" must be ${valid}, got ${JSON.stringify(raw)}`,
        input: raw,
      });
    return n ?? NaN;
  });

/** Accepts "1,2,1" or "[1,2,1]"; undefined when not a list of numbers. */
function parsePlacement(text: string): number[] | undefined {
  const t = text.trim();
  let items: unknown[];
  if (t.startsWith("[")) {
    const parsed = z.array(z.unknown()).safeParse(safeJson(t));
    if (!parsed.success) return undefined;
    items = parsed.data;
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

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The project's stack config keys (without the "vxlan-lab:" namespace); an unknown key is a problem. */
export const StackConfigSchema = z.strictObject({
  variant: z.string().optional(),
  vteps: decimal("vteps", range("vteps")).optional(),
  routers: decimal("routers", range("routers")).optional(),
  hostsPerVtep: decimal("hostsPerVtep", range("hostsPerVtep")).optional(),
  mtu: decimal("mtu", `${range("mtu")} (bytes, underlay link MTU)`).optional(),
  bfdInterval: decimal(
    "bfdInterval",
    `an integer from ${BFD_INTERVAL.min} to ${BFD_INTERVAL.max} (ms)`,
  ).optional(),
  placement: z
    .string()
    .transform((raw, ctx) => {
      const p = parsePlacement(raw);
      if (p === undefined) {
        ctx.issues.push({
          code: "custom",
          message:
            `config key "placement" must be a comma-separated list or a JSON array of host counts per VTEP, ` +
            `each ${range("hostsPerVtep")} (e.g. 1,2,1 or [1,2,1]), got ${JSON.stringify(raw)}`,
          input: raw,
        });
      }
      return p ?? [];
    })
    .optional(),
  // Pulumi hands a structured value (YAML map) to the program as JSON text.
  engines: z
    .string()
    .transform((raw, ctx) => {
      const v = safeJson(raw);
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        ctx.issues.push({
          code: "custom",
          message:
            `config key "engines" must be a map of engine names to Docker endpoints (a YAML map in Pulumi.<stack>.yaml, ` +
            `or JSON with \`pulumi config set --path\`), got ${JSON.stringify(raw)}`,
          input: raw,
        });
        return {};
      }
      // Each engine's fields are checked in engines.ts.
      return v as NonNullable<LabSpec["engines"]>;
    })
    .optional(),
  enginePlacement: z
    .string()
    .transform((raw) => {
      const t = raw.trim();
      // Checked in engines.ts against the engine and node names.
      return (t.startsWith("{") ? (safeJson(t) ?? t) : t) as LabSpec["enginePlacement"];
    })
    .optional(),
  convergeTimeout: z
    .string()
    .transform((raw, ctx) => {
      const n = parseDecimal(raw);
      if (n === undefined || !Number.isInteger(n) || n < CONVERGE_TIMEOUT.min || n > CONVERGE_TIMEOUT.max) {
        ctx.issues.push({
          code: "custom",
          message: `convergeTimeout must be an integer from ${CONVERGE_TIMEOUT.min} to ${CONVERGE_TIMEOUT.max} (seconds; 0 checks once without waiting), got "${raw}"`,
          input: raw,
        });
      }
      return n ?? CONVERGE_TIMEOUT.default;
    })
    .optional(),
});

const KNOWN_KEYS: readonly string[] = [...CONFIG_KEYS, ...RUN_CONFIG_KEYS];

/** The stack config's problems: unknown keys first, then bad values of `keys`, in key order. */
function configProblems(issues: readonly z.core.$ZodIssue[], keys: readonly string[]): string[] {
  const unknown = issues.flatMap((i) =>
    i.code === "unrecognized_keys"
      ? i.keys.map((k) => `unknown config key "${k}"; valid keys: ${KNOWN_KEYS.join(", ")}`)
      : [],
  );
  const bad = issues.filter((i) => i.code !== "unrecognized_keys" && keys.includes(String(i.path[0])));
  return [...unknown, ...bad.map((i) => i.message)];
}

function values(get: (key: string) => string | undefined, keys: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/**
 * Builds a LabSpec from stack config. `get` returns the raw value of a key (without the project
 * namespace) or undefined when unset. The variant defaults to the stack name.
 * Throws TopologyError naming every key that is not a number.
 */
export function specFromConfig(stack: string, get: (key: string) => string | undefined): LabSpec {
  const r = StackConfigSchema.safeParse(values(get, CONFIG_KEYS));
  if (!r.success) throw new TopologyError(configProblems(r.error.issues, CONFIG_KEYS));
  const { variant, ...rest } = r.data;
  return { stack, variant: variant ?? stack, ...rest };
}

/**
 * The rest of a stack's config: the convergence bound, and every key in the
 * project's namespace that nothing reads (a typo must not pass silently).
 */
export function runConfig(
  get: (key: string) => string | undefined,
  keys: readonly string[],
): { convergeTimeoutSeconds: number; problems: string[] } {
  const unknown = Object.fromEntries(keys.filter((k) => !KNOWN_KEYS.includes(k)).map((k) => [k, ""]));
  const r = StackConfigSchema.safeParse({ ...unknown, ...values(get, RUN_CONFIG_KEYS) });
  const timeout = StackConfigSchema.shape.convergeTimeout.safeParse(get("convergeTimeout"));
  return {
    convergeTimeoutSeconds: (timeout.success ? timeout.data : undefined) ?? CONVERGE_TIMEOUT.default,
    problems: r.success ? [] : configProblems(r.error.issues, RUN_CONFIG_KEYS),
  };
}
