import { describe, expect, it } from "vitest";
import { benchArgs } from "../../bench/args";

describe("a bench's options", () => {
  it("reads the options it names, with their fallbacks", () => {
    const arg = benchArgs("bench/x.ts", ["sizes", "runs"], ["--sizes", "3,32"]);
    expect(arg("sizes", "3")).toBe("3,32");
    expect(arg("runs", "2")).toBe("2");
  });

  it("refuses an unknown option, naming the valid ones", () => {
    expect(() => benchArgs("bench/x.ts", ["sizes", "runs"], ["--size", "3"])).toThrow(
      /bench\/x\.ts: Unknown option '--size'[\s\S]*valid options: --sizes <value>, --runs <value>/,
    );
  });

  it("refuses a stray argument and an option without its value", () => {
    expect(() => benchArgs("bench/x.ts", ["sizes"], ["32"])).toThrow(/bench\/x\.ts: .*32/);
    expect(() => benchArgs("bench/x.ts", ["sizes"], ["--sizes"])).toThrow(/--sizes/);
  });
});
