/**
 * What the live view's readers run in the nodes and how their output is read.
 * A reader is one long-lived shell loop per node that prints, every tick, a
 * frame of JSON sections:
 *   @fdb  / bridge -j fdb show dev vxlan100
 *   @neigh / ip -j -6 neigh show dev vxlan100
 *   @links / ip -j -s link show
 *   @end
 * Sections, not one JSON document: vtysh pretty-prints its JSON over many
 * lines, and a failing command's message stays readable. Pure.
 */
import type { Topology } from "../model";
import { AGENT_FILES } from "../overlay/agent";

/** `$0` of every reader loop, so `pgrep -f` in a node finds (and counts) them. */
export const READER_TAG = "vxlab-ui-reader";

export interface Section {
  name: string;
  command: string;
}

/**
 * The loop: one frame per tick, then waits `intervalMs` on stdin. EOF on
 * stdin (the server closed the exec, or died) ends it: nothing is left running
 * in the node. A timed-out read (status > 128) goes round again.
 */
export function readerArgv(sections: readonly Section[], intervalMs: number): string[] {
  const body = sections.map((s) => `echo @${s.name}; { ${s.command}; } 2>&1`).join("; ");
  const wait = (Math.max(50, intervalMs) / 1000).toFixed(2);
  return [
    "bash",
    "-c",
    `while :; do ${body}; echo @end; IFS= read -r -t ${wait} _; [ $? -gt 128 ] || exit 0; done`,
    READER_TAG,
  ];
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** What a VTEP's reader prints: its VXLAN device's tables and every link's counters (plus FRR's EVPN view). */
export function vtepSections(t: Topology): Section[] {
  const { device, bridge, vni } = t.vxlan;
  const out: Section[] = [
    { name: "fdb", command: `bridge -j fdb show dev ${device}` },
    { name: "neigh", command: `ip -j -6 neigh show dev ${device}` },
    { name: "links", command: "ip -j -s link show" },
  ];
  if (t.variant === "evpn") {
    // neigh_suppress answers ND from the SVI's table, where EVPN installs remote hosts.
    out.push({ name: "svi", command: `ip -j -6 neigh show dev ${bridge}` });
    out.push({ name: "evpn", command: `vtysh -c ${q(`show evpn mac vni ${vni} json`)}` });
  }
  return out;
}

/** What an agent's reader prints: the status file the agent rewrites at least once a second. */
export function agentSections(): Section[] {
  return [{ name: "status", command: `cat ${AGENT_FILES.status}` }];
}

/** Splits a reader's stdout into frames: section name -> its text. */
export class FrameSplitter {
  private buf = "";
  private current: string | undefined;
  private sections: Record<string, string> = {};

  constructor(private readonly onFrame: (sections: Record<string, string>) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    const m = /^@([a-z]+)$/.exec(line);
    if (m?.[1] === "end") {
      const frame = this.sections;
      this.sections = {};
      this.current = undefined;
      this.onFrame(frame);
    } else if (m?.[1]) {
      this.current = m[1];
      this.sections[m[1]] = "";
    } else if (this.current !== undefined) {
      this.sections[this.current] += `${line}\n`;
    }
  }
}

/** A section's JSON, or the text it printed instead (a command's error) as `error`. */
export function parseSection<T>(text: string | undefined): { value?: T; error?: string } {
  if (text === undefined) return { error: "not read" };
  const s = text.trim();
  // `ip -j` prints nothing at all for an empty table on some versions.
  if (s === "") return { value: [] as unknown as T };
  try {
    return { value: JSON.parse(s) as T };
  } catch {
    return { error: s.split("\n").slice(0, 3).join(" ").slice(0, 300) };
  }
}
