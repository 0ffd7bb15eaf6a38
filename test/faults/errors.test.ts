/**
 * What stops `scripts/lab up` before any container exists: no engine (or one
 * of the stack's engines silent), an engine whose kernel cannot make VXLAN
 * devices, no room for the state. Each
 * says what is wrong and what to do; nothing of the stack is left behind.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stateDirs } from "../../src/cli/preflight";
import { listContainers } from "../../src/docker/containers";
import { REPO_ROOT } from "../../src/util/paths";
import { destroy, leftovers, up } from "./lab";

const variant = "unicast-static-default";
const stacks = {
  engine: "faults-err-engine",
  vxlan: "faults-err-vxlan",
  disk: "faults-err-disk",
  engines: "faults-err-engines",
};

afterAll(async () => {
  for (const s of Object.values(stacks)) await destroy(variant, s);
});

describe("up refuses before any container is made", () => {
  it("when no engine answers (DOCKER_HOST at a socket nobody listens on), naming the address", async () => {
    const r = await up(variant, stacks.engine, { DOCKER_HOST: "unix:///tmp/faults-err-nobody.sock" });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no Docker engine answers at DOCKER_HOST=unix:\/\/\/tmp\/faults-err-nobody\.sock/);
    expect(await leftovers(stacks.engine)).toEqual([]);
  });

  it("when a second engine of the stack config does not answer, naming it and its endpoint", async () => {
    const file = join(REPO_ROOT, `Pulumi.${stacks.engines}.yaml`);
    writeFileSync(
      file,
      [
        "config:",
        "  vxlan-lab:engines:",
        '    a: { endpoint: "unix:///var/run/docker.sock", address: "fd00:e2::1" }',
        '    b: { endpoint: "unix:///tmp/faults-err-nobody2.sock", address: "fd00:e2::2" }',
        "  vxlan-lab:enginePlacement: spread",
        "",
      ].join("\n"),
    );
    try {
      const r = await up(variant, stacks.engines);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/engine b does not answer at unix:\/\/\/tmp\/faults-err-nobody2\.sock/);
      expect(r.out).toMatch(/Nothing was created/);
      expect(await listContainers({ "vxlan-lab.stack": stacks.engines })).toEqual([]);
    } finally {
      rmSync(file, { force: true });
    }
    expect(await leftovers(stacks.engines)).toEqual([]);
  });

  it("when the engine's kernel cannot make a VXLAN device, saying so with the kernel's own answer", async () => {
    const r = await up(variant, stacks.vxlan, { VXLAN_LAB_PROBE_VXLAN_KIND: "vxlan-absent" });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/kernel \(.+\) cannot make a VXLAN device: .*Unknown device type.*modprobe vxlan/);
    expect(r.out).toMatch(/Nothing was created/);
    expect(await leftovers(stacks.vxlan)).toEqual([]);
    // The probe's own throwaway container is gone as well.
    expect(await listContainers({ "vxlan-lab.probe": "vxlan" })).toEqual([]);
  });

  it("when the state directory is full, naming it and the space it needs", async () => {
    // A full 64 KiB tmpfs where the backend writes this stack's lock: the disk is full for its state.
    const [lockDir] = stateDirs(stacks.disk);
    if (!lockDir) throw new Error("no lock directory");
    mkdirSync(lockDir, { recursive: true });
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "faults-err-disk", lockDir]);
    try {
      try {
        writeFileSync(join(lockDir, "fill"), Buffer.alloc(1024 * 1024));
      } catch {
        // ENOSPC: full, as meant.
      }
      const r = await up(variant, stacks.disk);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/the Pulumi state cannot be written:/);
      expect(r.out).toContain(`${lockDir}: 0 KiB free, the state needs 8 MiB`);
      expect(await listContainers({ "vxlan-lab.stack": stacks.disk })).toEqual([]);
    } finally {
      execFileSync("umount", [lockDir]);
    }
    expect(await leftovers(stacks.disk)).toEqual([]);
  });
});
