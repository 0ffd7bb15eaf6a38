/**
 * The dynamic variants' agents as the page shows them: the counters from each
 * agent's status file, and its log lines (misses, installs, registry changes)
 * as they happen. Pure.
 */
import { parseSection } from "./frames";

export interface AgentView {
  vtep: string;
  at: number;
  registry?: string;
  lease?: string | null;
  misses?: { l2: number; l3: number };
  resolved?: { l2: number; l3: number };
  unknown?: { l2: number; l3: number };
  installed?: { fdb: number; neigh: number; multicast: number };
  view?: { macs: number; ips: number };
  local?: { macs: number; ips: number; published: number };
  error?: string;
}

/** What a log line says, for colour and filtering on the page. */
export type AgentEventKind = "install" | "unknown" | "registry" | "publish" | "error" | "info";

export interface AgentEvent {
  vtep: string;
  /** ISO time the engine stamped on the line. */
  at: string;
  kind: AgentEventKind;
  text: string;
}

const KEYS = ["registry", "lease", "misses", "resolved", "unknown", "installed", "view", "local"] as const;

export function agentView(vtep: string, sections: Record<string, string>, at: number): AgentView {
  const r = parseSection<Record<string, unknown>>(sections.status);
  const v: AgentView = { vtep, at };
  if (r.error !== undefined || r.value === undefined || Array.isArray(r.value)) {
    // Between a restart and its first status write the file is absent.
    v.error = r.error ?? "no status yet";
    return v;
  }
  for (const k of KEYS) if (k in r.value) (v as unknown as Record<string, unknown>)[k] = r.value[k];
  return v;
}

export function classify(text: string): AgentEventKind {
  if (/^l[23] miss \S+ -> \S+: installed/.test(text)) return "install";
  if (/^l[23] miss \S+: unknown/.test(text)) return "unknown";
  if (/^(registry |lease |gave )/.test(text)) return "registry";
  if (/^published /.test(text)) return "publish";
  if (/(error|failed|exited)/i.test(text)) return "error";
  return "info";
}

/**
 * One line of the agent container's log, as the engine gives it with
 * timestamps: "2026-12-02T04:20:00.123456789Z vxlan-agent: l2 miss ...".
 * The supervisor's own lines (restarts) carry no "vxlan-agent:" prefix.
 */
export function agentEvent(vtep: string, line: string): AgentEvent | undefined {
  const m = /^(\S+)\s(.*)$/.exec(line.trimEnd());
  if (!m?.[1] || m[2] === undefined || !/^\d{4}-\d\d-\d\dT/.test(m[1])) return undefined;
  const text = m[2].replace(/^vxlan-agent:\s*/, "");
  if (text === "") return undefined;
  // Nanoseconds are more than a page needs, and Date parses milliseconds.
  const at = m[1].replace(/(\.\d{3})\d*Z$/, "$1Z");
  return { vtep, at, kind: classify(text), text };
}
