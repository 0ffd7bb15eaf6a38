import type { Topology } from "../model";
import type { ExecResult } from "../util/process";

export type { ExecResult };

/** What a check may do: run a command in a lab node. Nothing of Docker leaks here. */
export interface CheckContext {
  t: Topology;
  exec(node: string, argv: string[]): Promise<ExecResult>;
}

export interface CheckOutcome {
  ok: boolean;
  detail: string;
  /** Amplification checks report the measured packets per BUM frame. */
  perBumFrame?: number;
  /** What a check measured on the way, by name, for bench/ (e.g. how long a move took to be followed). */
  figures?: Record<string, number>;
  /**
   * What is left to prove, handed to the next attempt: a retry repeats only
   * what failed (the pairs that did not answer, the VTEPs whose table was off).
   */
  retry?: unknown;
}

export interface Check {
  name: string;
  /** Checks (listed earlier) whose traffic this one reads the state of: it starts once they have finished. */
  after?: readonly Check[];
  /**
   * Counts packets on the wire, so it needs the overlay to itself: it starts
   * once every check listed before it has finished, and the checks listed
   * after it wait for it.
   */
  quiet?: boolean;
  /** `retry` is what the previous attempt left (its outcome's `retry`); absent on the first attempt. */
  run(ctx: CheckContext, retry?: unknown): Promise<CheckOutcome>;
}

export interface CheckReport {
  variant: string;
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  amplification: { perBumFrame: number | null };
}
