/** A container's log, followed over the engine API: no process in the container. */
import { PassThrough } from "node:stream";
import { containerAt, type ContainerRef } from "./client";

export interface LogFollow {
  stop(): void;
}

/**
 * Hands over every line of the container's stdout and stderr, prefixed by the
 * engine's timestamp, starting with the last `tail` lines. When the engine
 * ends the stream (idle timeout, container restart) it follows again from the
 * last line seen, until stop().
 */
export function followLogs(container: ContainerRef, onLine: (line: string) => void, tail = 50): LogFollow {
  let stopped = false;
  let since: number | undefined;
  let lastStamp = "";
  let current: NodeJS.ReadableStream | undefined;
  let retry: NodeJS.Timeout | undefined;
  const again = () => {
    if (!stopped) retry = setTimeout(() => void follow(), 1000);
  };
  const follow = async () => {
    try {
      const { engine, container: c } = containerAt(container);
      const stream = (await c.logs({
        follow: true,
        stdout: true,
        stderr: true,
        timestamps: true,
        ...(since === undefined ? { tail } : { since }),
      })) as NodeJS.ReadableStream;
      if (stopped) return (stream as unknown as { destroy(): void }).destroy();
      current = stream;
      const out = new PassThrough();
      engine.modem.demuxStream(stream, out, out);
      let buf = "";
      out.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          // The engine's `since` is in whole seconds: after a resume, lines of
          // that second come again and are skipped by their (fixed-width) stamp.
          const stamp = line.slice(0, line.indexOf(" "));
          const ts = Date.parse(stamp);
          if (!Number.isNaN(ts)) {
            if (stamp <= lastStamp) continue;
            lastStamp = stamp;
            since = Math.floor(ts / 1000);
          }
          onLine(line);
        }
      });
      stream.on("end", again);
      stream.on("error", again);
    } catch {
      again();
    }
  };
  void follow();
  return {
    stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      (current as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}
