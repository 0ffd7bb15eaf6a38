import { describe, expect, it } from "vitest";
import { z } from "zod";
import { until } from "../../src/checks/evpn";
import { parseJson } from "../../src/util/json";
import { run, runOk, which } from "../../src/util/process";

describe("local processes (execa)", () => {
  it("returns a non-zero exit with both streams instead of throwing", async () => {
    expect(await run("sh", ["-c", "echo out; echo err >&2; exit 4"])).toEqual({
      code: 4,
      stdout: "out\n",
      stderr: "err\n",
    });
  });

  it("gives 127 and the reason for a program that cannot start", async () => {
    const r = await run("vxlan-lab-no-such-program", []);
    expect(r.code).toBe(127);
    expect(r.stderr).toMatch(/ENOENT/);
  });

  it("kills a program past its timeout (128), feeds input, and uses the given environment only", async () => {
    expect((await run("sleep", ["5"], { timeoutMs: 100 })).code).toBe(128);
    expect((await run("cat", [], { input: "hello\n" })).stdout).toBe("hello\n");
    const env = { PATH: process.env.PATH ?? "", ONLY: "this" };
    expect((await run("sh", ["-c", 'echo "$ONLY:${HOME:-unset}"'], { env })).stdout).toBe("this:unset\n");
  });

  it("runOk throws naming the command, its exit code and the tail of its output", async () => {
    await expect(runOk("sh", ["-c", "echo broken >&2; exit 3"])).rejects.toThrow(
      /sh -c .* exited with 3:\nbroken/,
    );
  });

  it("finds programs on a given PATH", () => {
    expect(which("sh")).toMatch(/\/sh$/);
    expect(which("sh", "/nonexistent")).toBeUndefined();
  });
});

describe("JSON through a schema", () => {
  const schema = z.object({ mac: z.string(), flags: z.array(z.string()) });
  it("names what was read and each field that did not fit", () => {
    expect(() => parseJson(schema, '{"mac": 1}', "S1: bridge -j fdb show")).toThrow(
      /^S1: bridge -j fdb show is not what was expected:\n {2}- mac: .*string.*\n {2}- flags: /,
    );
  });
  it("names what was read when it is not JSON at all", () => {
    expect(() => parseJson(schema, "Error: Device does not exist", "S1: ip -j link")).toThrow(
      /^S1: ip -j link is not JSON .*"Error: Device does not exist"$/,
    );
  });
});

describe("polling (p-retry)", () => {
  it("until returns as soon as there is no problem left, after retrying", async () => {
    let calls = 0;
    const r = await until(5_000, async () => (++calls < 3 ? ["not yet"] : []), 1);
    expect(r.problems).toEqual([]);
    expect(calls).toBe(3);
  });
  it("until stops at the bound with the last problems, and an error ends it at once", async () => {
    expect((await until(30, async () => ["still"], 10)).problems).toEqual(["still"]);
    let calls = 0;
    await expect(
      until(5_000, async () => {
        calls++;
        throw new TypeError("broken reader");
      }),
    ).rejects.toThrow("broken reader");
    expect(calls).toBe(1);
  });
});
