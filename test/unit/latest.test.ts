import { describe, expect, it } from "vitest";
import { latestOnly } from "../../src/util/latest";

describe("latestOnly", () => {
  it("never has two sends in flight, and the newest value is the last one sent", async () => {
    const sent: number[] = [];
    let inFlight = 0;
    let most = 0;
    const gates: Array<() => void> = [];
    const send = latestOnly<number>(
      (v) =>
        new Promise<void>((resolve) => {
          inFlight++;
          most = Math.max(most, inFlight);
          sent.push(v);
          gates.push(() => {
            inFlight--;
            resolve();
          });
        }),
      (a, b) => a === b,
    );
    const all = [send(1), send(2), send(3)];
    // 1 is in flight; 2 and 3 wait, and only 3 will go.
    await Promise.resolve();
    expect(sent).toEqual([1]);
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 0));
    expect(sent).toEqual([1, 3]);
    gates.shift()!();
    await Promise.all(all);
    expect(most).toBe(1);
    expect(sent).toEqual([1, 3]);
  });

  it("does not send again a value equal to the last one sent, and goes on after a failed send", async () => {
    const sent: string[] = [];
    const send = latestOnly<string>(
      async (v) => {
        sent.push(v);
        if (v === "bad") throw new Error("refused");
      },
      (a, b) => a === b,
    );
    await send("a");
    await send("a");
    await send("bad");
    await send("b");
    expect(sent).toEqual(["a", "bad", "b"]);
  });
});
