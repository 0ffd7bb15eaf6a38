/**
 * The lab's live state, shared by every browser: one reader per node (each
 * VTEP, each agent), started when the first browser connects and stopped a
 * little after the last one leaves. Every browser gets the same events.
 */
import { followLogs, type LogFollow } from "../docker/logs";
import { nodeTarget, type Topology } from "../model";
import type { Target } from "../docker/client";
import { agentEvent, agentView, type AgentEvent, type AgentView } from "./agents";
import { agentSections, readerArgv, vtepSections } from "./frames";
import { NodeReader, type ReaderStatus } from "./readers";
import { namesOf, vtepView, type VtepView } from "./state";

export type UiEvent =
  | { type: "vtep"; data: VtepView }
  | { type: "agent"; data: AgentView }
  | { type: "agent-event"; data: AgentEvent }
  | { type: "reader"; data: ReaderStatus }
  /** A frame that changed nothing: the page only learns its reader is alive. */
  | { type: "tick"; data: { node: string; at: number } };

export interface LiveOptions {
  /** Between two frames of a VTEP's reader. Default 300 ms. */
  intervalMs?: number;
  /** Readers stop this long after the last browser left. Default 5 s. */
  idleStopMs?: number;
}

/** Agent events kept for a browser that connects later. */
const EVENT_HISTORY = 200;

export class LiveLab {
  private readonly readers: NodeReader[] = [];
  private readonly logs: { vtep: string; container: Target }[] = [];
  private follows: LogFollow[] = [];
  private readonly listeners = new Set<(e: UiEvent) => void>();
  private readonly latest = new Map<string, UiEvent>();
  private readonly lastText = new Map<string, string>();
  private readonly events: AgentEvent[] = [];
  private idleTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly idleStopMs: number;

  constructor(
    readonly t: Topology,
    opts: LiveOptions = {},
  ) {
    const interval = opts.intervalMs ?? 300;
    this.idleStopMs = opts.idleStopMs ?? 5000;
    const names = namesOf(t);
    for (const v of t.nodes.filter((n) => n.kind === "vtep")) {
      this.readers.push(
        new NodeReader(
          v.name,
          nodeTarget(t, v.name),
          readerArgv(vtepSections(t), interval),
          (s, at) => this.publish(v.name, { type: "vtep", data: vtepView(t, names, v.name, s, at) }),
          (st) => this.emit({ type: "reader", data: st }),
        ),
      );
    }
    for (const [vtep, agent] of Object.entries(t.registry?.agents ?? {})) {
      const container = nodeTarget(t, agent);
      // The agent rewrites its status at least once a second: reading faster shows nothing new.
      this.readers.push(
        new NodeReader(
          agent,
          container,
          readerArgv(agentSections(), Math.max(interval, 500)),
          (s, at) => this.publish(agent, { type: "agent", data: agentView(vtep, s, at) }),
          (st) => this.emit({ type: "reader", data: st }),
        ),
      );
      this.logs.push({ vtep, container });
    }
  }

  /** Open reader execs in the lab's nodes right now. */
  get openReaders(): number {
    return this.readers.filter((r) => r.open).length;
  }

  get browsers(): number {
    return this.listeners.size;
  }

  /** What a browser that just connected needs: the latest of everything. */
  snapshot(): UiEvent[] {
    return [
      ...this.readers.map((r): UiEvent => ({ type: "reader", data: { ...r.status } })),
      ...this.latest.values(),
      ...this.events.map((data): UiEvent => ({ type: "agent-event", data })),
    ];
  }

  subscribe(listener: (e: UiEvent) => void): () => void {
    this.listeners.add(listener);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.startReaders();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && !this.idleTimer) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = undefined;
          if (this.listeners.size === 0) void this.stopReaders();
        }, this.idleStopMs);
      }
    };
  }

  private startReaders(): void {
    if (this.running) return;
    this.running = true;
    for (const r of this.readers) r.start();
    this.follows = this.logs.map(({ vtep, container }) =>
      followLogs(container, (line) => {
        const ev = agentEvent(vtep, line);
        if (!ev) return;
        this.events.push(ev);
        if (this.events.length > EVENT_HISTORY) this.events.shift();
        this.emit({ type: "agent-event", data: ev });
      }),
    );
  }

  private async stopReaders(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const f of this.follows) f.stop();
    this.follows = [];
    // The history would repeat on the next start (the follow begins with the log's tail).
    this.events.length = 0;
    await Promise.all(this.readers.map((r) => r.stop()));
  }

  /** Sends a node's new state, or only a tick when it did not change. */
  private publish(node: string, e: UiEvent & { data: { at: number } }): void {
    const text = JSON.stringify({ ...e.data, at: 0 });
    this.latest.set(node, e);
    if (this.lastText.get(node) === text) return this.emit({ type: "tick", data: { node, at: e.data.at } });
    this.lastText.set(node, text);
    this.emit(e);
  }

  private emit(e: UiEvent): void {
    for (const l of this.listeners) l(e);
  }

  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.listeners.clear();
    this.running = true; // so that stopReaders runs even if idle already stopped them
    await this.stopReaders();
  }
}
