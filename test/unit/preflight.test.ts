import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { probeKind, stateProblems, VXLAN_PROBE } from "../../src/cli/preflight";
import { stackProblem } from "../../src/cli/up";

describe("preflight", () => {
  it("accepts a writable directory with room, and refuses one that asks for more than the disk has", () => {
    const dir = mkdtempSync(join(tmpdir(), "vxlab-preflight-"));
    try {
      expect(stateProblems([dir], 1024)).toEqual([]);
      const [problem] = stateProblems([dir], Number.MAX_SAFE_INTEGER);
      expect(problem).toMatch(new RegExp(`^${dir}: \\d+ KiB free, the state needs`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names a directory that cannot be made", () => {
    const dir = mkdtempSync(join(tmpdir(), "vxlab-preflight-"));
    try {
      writeFileSync(join(dir, "file"), "");
      expect(stateProblems([join(dir, "file", "state")])).toEqual([`${join(dir, "file", "state")}: ENOTDIR`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("probes a real VXLAN device with an IPv6 underlay unless told to ask for a kind no kernel has", () => {
    expect(probeKind({})).toBe("vxlan");
    expect(VXLAN_PROBE("vxlan").join(" ")).toContain("type vxlan id 100 dstport 4789 local ::1");
    expect(VXLAN_PROBE(probeKind({ VXLAN_LAB_PROBE_VXLAN_KIND: "vxlan-absent" })).join(" ")).toMatch(
      /type vxlan-absent &&/,
    );
  });
});

describe("stack names", () => {
  it("takes lower-case names fit for container names and refuses others, saying what is valid", () => {
    expect(stackProblem("lab-2")).toBeUndefined();
    expect(stackProblem("Lab_2")).toMatch(/lower-case letters, digits and "-"/);
    expect(stackProblem("-x")).toBeDefined();
    expect(stackProblem("a".repeat(41))).toBeDefined();
  });
});
