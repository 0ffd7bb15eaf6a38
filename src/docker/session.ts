/**
 * A live command in a running container, like `docker exec [-it]`: output
 * streamed as it comes, an optional TTY (resizable), and an interrupt that
 * ends the command in the container, not just our end of the stream.
 */
import { randomUUID } from "node:crypto";
import type { Duplex, Readable, Writable } from "node:stream";
import pLimit from "p-limit";
import { containerAt, type ContainerRef } from "./client";

export interface SessionOptions {
  /** Allocate a TTY in the container: raw bytes both ways, ^C goes through as a byte. */
  tty?: boolean;
  /** Fed to the command's stdin; without it stdin is not attached. */
  stdin?: Readable;
  stdout: Writable;
  /** Without a TTY, stderr comes apart from stdout. */
  stderr: Writable;
  /** Initial TTY size. */
  size?: { rows: number; columns: number };
  env?: string[];
}

export interface Session {
  /** Resolves with the command's exit code once its output has been passed on. */
  readonly done: Promise<number>;
  resize(size: { rows: number; columns: number }): Promise<void>;
  /**
   * Ctrl-C: with a TTY the ^C byte (the terminal makes it SIGINT for the
   * foreground job); without, SIGINT to every process of the session, then
   * SIGTERM and SIGKILL to what is left after a grace period each.
   */
  interrupt(): Promise<void>;
  /** Ends every process of the session, TTY or not: SIGHUP, then SIGTERM, then SIGKILL (a hung-up terminal). */
  terminate(): Promise<void>;
}

/** Marks every process of a session (children inherit it), so an interrupt finds them all. */
const MARK = "VXLAB_SESSION";

/**
 * Run in the container to signal a session's processes. Found by the
 * environment mark rather than a pid file: nothing to clean up, and children
 * (a pipeline, `sh -c '...; sleep'`) are found too.
 */
export function signalScript(id: string, signals: readonly string[], graceTenths = 10): string {
  return [
    `ids() { grep -lzx '${MARK}=${id}' /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3; }`,
    `for sig in ${signals.join(" ")}; do`,
    '  p=$(ids); [ -n "$p" ] || exit 0',
    "  kill -$sig $p 2>/dev/null",
    `  i=0; while [ $i -lt ${graceTenths} ]; do [ -n "$(ids)" ] || exit 0; sleep 0.1; i=$((i+1)); done`,
    "done",
  ].join("\n");
}

/** The exit code of an exec whose stream ended: the engine can report it a moment later. */
async function exitCode(e: { inspect(): Promise<{ Running: boolean; ExitCode: number | null }> }) {
  for (let i = 0; i < 100; i++) {
    const info = await e.inspect();
    if (!info.Running && info.ExitCode !== null) return info.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("the engine reported no exit code for the command");
}

export async function openSession(
  container: ContainerRef,
  cmd: string[],
  opts: SessionOptions,
): Promise<Session> {
  const { engine, container: c } = containerAt(container);
  const id = randomUUID();
  const tty = opts.tty ?? false;
  // Engine API 1.41 (Debian's 20.10) has no ConsoleSize at create, and a resize
  // after start races the command's first look: set the size in the TTY first.
  const argv =
    tty && opts.size && opts.size.rows > 0 && opts.size.columns > 0
      ? [
          "sh",
          "-c",
          `stty rows ${opts.size.rows} cols ${opts.size.columns} 2>/dev/null; exec "$@"`,
          "sh",
          ...cmd,
        ]
      : cmd;
  const e = await c.exec({
    Cmd: argv,
    Tty: tty,
    AttachStdin: opts.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Env: [...(opts.env ?? []), `${MARK}=${id}`, ...(tty ? [`TERM=${process.env.TERM ?? "xterm"}`] : [])],
  });
  const stream = (await e.start({ hijack: true, stdin: opts.stdin !== undefined, Tty: tty })) as Duplex;
  // A TTY's output is one raw stream; otherwise the engine multiplexes stdout and stderr.
  if (tty) stream.pipe(opts.stdout, { end: false });
  else engine.modem.demuxStream(stream, opts.stdout, opts.stderr);
  const ended = new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  // A TTY session ends with its command, not with our input: an early EOF
  // (stdin closed before raw mode) would otherwise cut off the output too.
  if (opts.stdin) opts.stdin.pipe(stream, { end: !tty });

  // One resize request at a time, in the order asked: `stty rows 40 cols 120` is two
  // resizes, and two requests in flight reached the engine in either order (CI ended
  // at "40 101"). Resizing an exec that has just ended is no error worth reporting.
  const oneAtATime = pLimit(1);
  const resize = async (size: { rows: number; columns: number }) => {
    if (!tty) return;
    await oneAtATime(() => e.resize({ h: size.rows, w: size.columns }).catch(() => undefined));
  };

  const done = ended.then(async () => {
    opts.stdin?.unpipe(stream);
    return exitCode(e);
  });

  const signalAll = async (signals: readonly string[]) => {
    const k = await c.exec({
      Cmd: ["sh", "-c", signalScript(id, signals)],
      AttachStdout: true,
      AttachStderr: true,
    });
    const s = (await k.start({ hijack: true, stdin: false })) as Duplex;
    s.resume();
    await new Promise<void>((resolve) => {
      s.on("end", resolve);
      s.on("close", resolve);
      s.on("error", () => resolve());
    });
  };
  const interrupt = async () => {
    // The terminal's line discipline turns ^C into SIGINT for the foreground job, as at a console.
    if (tty) stream.write("\x03");
    else await signalAll(["INT", "TERM", "KILL"]);
  };
  const terminate = () => signalAll(["HUP", "TERM", "KILL"]);
  return { done, resize, interrupt, terminate };
}
