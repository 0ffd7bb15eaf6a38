/** scripts/lab as a user runs it: help on every subcommand, and clear errors. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../src/util/paths";
import { run } from "../../src/util/process";

const lab = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(join(REPO_ROOT, "scripts/lab"), args, { env: { ...process.env, ...env } });

const SUBCOMMANDS = [
  "bootstrap",
  "up",
  "check",
  "destroy",
  "status",
  "exec",
  "capture",
  "graph",
  "ui",
  "test",
  "env",
];

describe("scripts/lab", () => {
  it("lists every subcommand and the variants in its help", async () => {
    const r = await lab(["--help"]);
    expect(r.code).toBe(0);
    for (const c of [...SUBCOMMANDS, "pulumi"]) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    expect(r.stdout).toContain("valid variants: multicast, unicast-static-default");
  });

  it.each(SUBCOMMANDS)("%s --help says how to use it and does nothing else", async (c) => {
    const r = await lab([c, "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: scripts/lab ${c}\\b`));
  });

  it("rejects an unknown subcommand with exit 2 and the list", async () => {
    const r = await lab(["deploy"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("lab: unknown command 'deploy'");
    expect(r.stderr).toContain("Commands:");
  });

  it.each([["up"], ["check"], ["destroy"], ["exec", "S1"], ["capture", "S1", "r1"], ["graph"], ["ui"]])(
    "%s rejects an unknown variant, naming the valid ones",
    async (c, ...rest) => {
      const r = await lab([c, "vxlan-magic", ...rest]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'unknown variant "vxlan-magic"; valid variants: multicast, unicast-static-default',
      );
    },
  );

  it("says so when the engine does not answer", async () => {
    for (const args of [["status"], ["check", "multicast"], ["exec", "multicast", "S1", "--", "true"]]) {
      const r = await lab(args, { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain("no Docker engine answers at unix:///nonexistent/docker.sock");
    }
  });

  it("graph writes the stack's topology to a file", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "lab-graph-")), "t.svg");
    const r = await lab(["graph", "multicast", "-o", file]);
    expect(r.code, r.stderr).toBe(0);
    const svg = readFileSync(file, "utf8");
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain('data-node="S3"');
  });
});
