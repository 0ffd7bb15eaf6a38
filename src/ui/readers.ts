/**
 * One reader per node: a long-lived exec running the frame loop (frames.ts),
 * started again if it ends while still wanted (a restarted container), and
 * closed through its stdin on stop so nothing keeps running in the node.
 */
import type { ContainerRef } from "../docker/client";
import { streamExec, type ExecStream } from "../docker/exec";
import { FrameSplitter } from "./frames";

export type ReaderState = "starting" | "running" | "restarting" | "stopped";

export interface ReaderStatus {
  node: string;
  state: ReaderState;
  /** Why it restarts: the exec's error or what the loop printed on stderr. */
  detail?: string;
  /** Frames read since it started. */
  frames: number;
}

export class NodeReader {
  private exec: ExecStream | undefined;
  private wanted = false;
  /** run() is under way (connecting, or reading): never two execs for one node. */
  private active = false;
  private retry: NodeJS.Timeout | undefined;
  private stderr = "";
  readonly status: ReaderStatus;

  constructor(
    readonly node: string,
    private readonly container: ContainerRef,
    private readonly argv: string[],
    private readonly onFrame: (sections: Record<string, string>, at: number) => void,
    private readonly onStatus: (s: ReaderStatus) => void,
  ) {
    this.status = { node, state: "stopped", frames: 0 };
  }

  /** An open exec in the node, or one on its way. */
  get open(): boolean {
    return this.exec !== undefined;
  }

  start(): void {
    if (this.wanted) return;
    this.wanted = true;
    if (!this.active) void this.run();
  }

  private set(state: ReaderState, detail?: string): void {
    this.status.state = state;
    this.status.detail = detail;
    this.onStatus({ ...this.status });
  }

  private async run(): Promise<void> {
    this.active = true;
    try {
      await this.read();
    } finally {
      this.active = false;
    }
  }

  private async read(): Promise<void> {
    this.set("starting");
    const splitter = new FrameSplitter((sections) => {
      this.status.frames++;
      if (this.status.state !== "running") this.set("running");
      this.onFrame(sections, Date.now());
    });
    let x: ExecStream;
    try {
      x = await streamExec(
        this.container,
        this.argv,
        (d) => splitter.push(d),
        (d) => (this.stderr = (this.stderr + d).slice(-500)),
      );
    } catch (err) {
      return this.ended(err instanceof Error ? err.message : String(err));
    }
    if (!this.wanted) {
      await x.close();
      return;
    }
    this.exec = x;
    await x.ended;
    if (this.exec === x) this.exec = undefined;
    this.ended(this.stderr.trim() || "the reader's exec ended");
  }

  private ended(why: string): void {
    if (!this.wanted) return;
    this.set("restarting", why);
    this.retry = setTimeout(() => {
      if (this.wanted && !this.active) void this.run();
    }, 1000);
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.retry) clearTimeout(this.retry);
    const x = this.exec;
    this.exec = undefined;
    if (x) await x.close();
    this.set("stopped");
  }
}
