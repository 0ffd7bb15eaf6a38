/** Commands in a running container, over the engine API: whole, as a script, or line by line. */
import { PassThrough, type Duplex } from "node:stream";
import type { ExecResult } from "../util/process";
import { containerAt, nameOf, type ContainerRef } from "./client";

export type { ExecResult };

async function start(ref: ContainerRef, cmd: string[], stdin: boolean) {
  const { engine, container: c } = containerAt(ref);
  const container = nameOf(ref);
  const e = await c.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: stdin,
  });
  const stream = (await e.start({ hijack: true, stdin })) as Duplex;
  const out = new PassThrough();
  const err = new PassThrough();
  engine.modem.demuxStream(stream, out, err);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  const exitCode = async (): Promise<number> => {
    // The exec's exit code can lag the end of its stream by a moment.
    for (let i = 0; i < 100; i++) {
      const info = await e.inspect();
      if (!info.Running && info.ExitCode !== null) return info.ExitCode;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`exec in ${container} did not report an exit code: ${cmd.join(" ")}`);
  };
  return { stream, out, err, ended, exitCode };
}

export async function exec(container: ContainerRef, cmd: string[], input?: string): Promise<ExecResult> {
  const x = await start(container, cmd, input !== undefined);
  let stdout = "";
  let stderr = "";
  x.out.on("data", (d: Buffer) => (stdout += d.toString()));
  x.err.on("data", (d: Buffer) => (stderr += d.toString()));
  if (input !== undefined) x.stream.end(input);
  await x.ended;
  return { code: await x.exitCode(), stdout, stderr };
}

/**
 * Runs a whole script as one exec: fed on stdin into a file (so no command in
 * it can swallow the rest), run with `sh -ex`. A non-zero exit throws with the
 * node, the exit code and the whole trace: the failing command is its last line.
 */
export async function runScript(
  container: ContainerRef,
  script: string,
  what = nameOf(container),
): Promise<string> {
  const r = await exec(
    container,
    ["sh", "-c", 'f=$(mktemp) && cat >"$f" && sh -ex "$f"; rc=$?; rm -f "$f"; exit $rc'],
    script.endsWith("\n") ? script : `${script}\n`,
  );
  if (r.code !== 0) {
    throw new Error(`${what}: script failed with exit ${r.code}:\n${`${r.stdout}${r.stderr}`.trim()}`);
  }
  return r.stdout;
}

/**
 * One long exec whose stdout is read line by line: `onLine` returns true when
 * it has seen enough. Then (or at the deadline) stdin is closed, which the
 * command inside must take as its cue to exit. Resolves with whether onLine
 * was satisfied before the deadline.
 */
export async function watchLines(
  container: ContainerRef,
  cmd: string[],
  onLine: (line: string) => boolean,
  deadline: number,
): Promise<{ satisfied: boolean; stderr: string; code: number }> {
  const x = await start(container, cmd, true);
  let buf = "";
  let stderr = "";
  let satisfied = false;
  const stop = () => x.stream.end();
  x.err.on("data", (d: Buffer) => (stderr += d.toString()));
  x.out.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while (!satisfied && (nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (onLine(line)) {
        satisfied = true;
        stop();
      }
    }
  });
  const timer = setTimeout(stop, Math.max(0, deadline - Date.now()));
  try {
    await x.ended;
  } finally {
    clearTimeout(timer);
  }
  return { satisfied, stderr, code: await x.exitCode() };
}

export interface ExecStream {
  /** Closes the command's stdin, which it must take as its cue to exit; resolves with its exit code. */
  close(): Promise<number>;
  /** Settles when the stream ends, on its own or after close(). */
  ended: Promise<void>;
}

/**
 * One long exec whose output is handed over as it comes, until close(). For
 * readers that run as long as someone looks (the live view).
 */
export async function streamExec(
  container: ContainerRef,
  cmd: string[],
  onStdout: (chunk: string) => void,
  onStderr: (chunk: string) => void = () => undefined,
): Promise<ExecStream> {
  const x = await start(container, cmd, true);
  x.out.on("data", (d: Buffer) => onStdout(d.toString()));
  x.err.on("data", (d: Buffer) => onStderr(d.toString()));
  const ended = x.ended.catch(() => undefined);
  return {
    ended,
    async close() {
      x.stream.end();
      // A reader that does not stop on EOF is cut off; the engine then closes its pipes.
      const timer = setTimeout(() => x.stream.destroy(), 2000);
      await ended;
      clearTimeout(timer);
      return x.exitCode().catch(() => -1);
    },
  };
}
