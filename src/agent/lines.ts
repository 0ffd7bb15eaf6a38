// Splits a byte stream into lines. Chunks from a pipe or an HTTP body end
// anywhere, often inside a line or inside a multi-byte character.

import { StringDecoder } from "node:string_decoder";

export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  private discarding = false;

  /** @param maxLine a line longer than this is dropped (a runaway peer must not grow memory) */
  constructor(private readonly maxLine = 1 << 20) {}

  push(chunk: Buffer | Uint8Array | string): string[] {
    this.pending += typeof chunk === "string" ? chunk : this.decoder.write(Buffer.from(chunk));
    const parts = this.pending.split("\n");
    this.pending = parts.pop() ?? "";
    if (parts.length > 0 && this.discarding) {
      // the rest of an over-long line: drop it too
      parts.shift();
      this.discarding = false;
    }
    if (this.pending.length > this.maxLine) {
      this.pending = "";
      this.discarding = true;
    }
    return parts.map((l) => l.replace(/\r$/, "")).filter((l) => l.length <= this.maxLine);
  }

  /** The last line if the stream ended without a newline. */
  end(): string[] {
    const rest = this.pending + this.decoder.end();
    const dropped = this.discarding;
    this.pending = "";
    this.discarding = false;
    return rest.length > 0 && !dropped ? [rest] : [];
  }
}
