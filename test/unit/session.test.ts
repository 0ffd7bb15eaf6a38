import { PassThrough } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { openSession } from "../../src/docker/session";

// A fake engine: the exec's output stream stays open, and every resize request
// is held until the test lets it answer.
const engine = vi.hoisted(() => ({
  asked: [] as string[],
  answer: [] as Array<() => void>,
  inFlight: 0,
  most: 0,
}));
vi.mock("../../src/docker/client", () => {
  const exec = {
    start: async () => new PassThrough(),
    inspect: async () => ({ Running: false, ExitCode: 0 }),
    resize: ({ h, w }: { h: number; w: number }) =>
      new Promise((resolve) => {
        engine.inFlight++;
        engine.most = Math.max(engine.most, engine.inFlight);
        engine.asked.push(`${h}x${w}`);
        engine.answer.push(() => {
          engine.inFlight--;
          resolve(undefined);
        });
      }),
  };
  const container = { exec: async () => exec };
  return { containerAt: () => ({ engine: {}, container }) };
});

describe("exec session", () => {
  it("sends TTY resizes to the engine one at a time, in the order asked (the last size is the last word)", async () => {
    const out = new PassThrough();
    const s = await openSession("S1", ["sh"], { tty: true, stdout: out, stderr: out });
    const both = Promise.all([s.resize({ rows: 40, columns: 101 }), s.resize({ rows: 40, columns: 120 })]);
    await new Promise((r) => setTimeout(r, 10));
    // The second waits for the first's answer: two in flight reached the engine in either order.
    expect(engine.asked).toEqual(["40x101"]);
    engine.answer.shift()!();
    await new Promise((r) => setTimeout(r, 10));
    expect(engine.asked).toEqual(["40x101", "40x120"]);
    engine.answer.shift()!();
    await both;
    expect(engine.most).toBe(1);
  });
});
