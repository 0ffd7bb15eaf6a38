import type { Topology } from "../model";

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

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
}

export interface Check {
  name: string;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

export interface CheckReport {
  variant: string;
  ok: boolean;
  checks: { name: string; ok: boolean; detail: string }[];
  amplification: { perBumFrame: number | null };
}
