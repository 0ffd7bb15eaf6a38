/**
 * Local processes, through execa (no shell). execa 8, not 9: 9 pulls in
 * unicorn-magic, whose exports have no "require" condition, and tsx (which
 * runs the CLI and the bench) loads our CommonJS code's ESM dependencies
 * through require.
 */
import { execa } from "execa";
import whichLib from "which";

/** What a command gave back, wherever it ran: here, in a container, or under the agent. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** The whole environment (not merged into ours); default ours. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  /** Stream the child's output to ours instead of capturing it. */
  inherit?: boolean;
  /** Killed with SIGKILL past this. */
  timeoutMs?: number;
}

/** Runs a program; never throws for a non-zero exit (a program that cannot start gives 127). */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  const r = await execa(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    ...(opts.input === undefined ? { stdin: "ignore" as const } : { input: opts.input }),
    stdout: opts.inherit ? "inherit" : "pipe",
    stderr: opts.inherit ? "inherit" : "pipe",
    timeout: opts.timeoutMs,
    killSignal: "SIGKILL",
  });
  const stdout = typeof r.stdout === "string" ? r.stdout : "";
  const stderr = typeof r.stderr === "string" ? r.stderr : "";
  if (r.exitCode !== undefined && r.exitCode !== null) return { code: r.exitCode, stdout, stderr };
  // Killed (timeout or a signal): 128 as a shell would (less the signal number); not started: 127.
  if (r.signal) return { code: 128, stdout, stderr };
  // With reject: false, execa 8 resolves with its error object when the program could not start.
  const why = r instanceof Error ? r.message : `${cmd} could not be started`;
  return { code: 127, stdout, stderr: stderr + why };
}

/** Like run, but a non-zero exit throws with the command and the tail of its output. */
export async function runOk(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<ExecResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split("\n").slice(-15).join("\n");
    throw new Error(`${cmd} ${args.join(" ")} exited with ${r.code}${tail ? `:\n${tail}` : ""}`);
  }
  return r;
}

/** The executable's path on `path` (default $PATH), or undefined. */
export function which(cmd: string, path = process.env.PATH ?? ""): string | undefined {
  return whichLib.sync(cmd, { path, nothrow: true }) ?? undefined;
}
