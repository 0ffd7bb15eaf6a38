import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decideEngine, type EngineFacts } from "../../src/bootstrap/engine";
import { debianMirror } from "../../src/bootstrap/host";
import {
  decidePulumi,
  pinnedPulumiVersion,
  pulumiBinDir,
  type PulumiInstall,
} from "../../src/bootstrap/pulumi";
import { formatStep, runSteps, StepError } from "../../src/bootstrap/steps";
import { decideImage, parseVersions } from "../../src/images/build";
import { definitionHash, imageRef, readDefinition } from "../../src/images/definition";
import { REPO_ROOT } from "../../src/util/paths";

const facts = (f: Partial<EngineFacts>): EngineFacts => ({
  answers: false,
  isRoot: false,
  isDebian: false,
  dockerdInstalled: false,
  ...f,
});

describe("docker engine decision", () => {
  it("uses an engine that answers, whatever else is true", () => {
    expect(decideEngine(facts({ answers: true }))).toEqual({ action: "use" });
    expect(decideEngine(facts({ answers: true, dockerHost: "tcp://x:2375" }))).toEqual({ action: "use" });
  });
  it("never starts a local engine when DOCKER_HOST points elsewhere", () => {
    const plan = decideEngine(facts({ dockerHost: "tcp://10.0.0.1:2375", isRoot: true, isDebian: true }));
    expect(plan.action).toBe("fail");
    expect(plan.action === "fail" && plan.message).toContain("DOCKER_HOST=tcp://10.0.0.1:2375");
  });
  it("starts an installed dockerd as root", () => {
    expect(decideEngine(facts({ isRoot: true, dockerdInstalled: true }))).toEqual({ action: "start" });
  });
  it("installs Debian's engine as root on Debian", () => {
    expect(decideEngine(facts({ isRoot: true, isDebian: true }))).toEqual({ action: "install-and-start" });
  });
  it("says what to install when it cannot act", () => {
    const notRoot = decideEngine(facts({ isDebian: true }));
    expect(notRoot.action === "fail" && notRoot.message).toMatch(/apt-get install docker\.io/);
    const notDebian = decideEngine(facts({ isRoot: true }));
    expect(notDebian.action === "fail" && notDebian.message).toMatch(/install a Docker engine/);
    const noStart = decideEngine(facts({ dockerdInstalled: true }));
    expect(noStart.action === "fail" && noStart.message).toMatch(/only root can start dockerd/);
  });
});

describe("pulumi decision", () => {
  const inst = (version: string | undefined, complete = true, dir = "/d"): PulumiInstall => ({
    dir,
    version,
    complete,
  });
  const base = { want: "3.248.0", goAvailable: true, tryOfficial: true };

  it("uses the cache when it holds the pinned version", () => {
    expect(decidePulumi({ ...base, cache: inst("3.248.0", true, "/c") })).toEqual({
      action: "use",
      dir: "/c",
      from: "cache",
    });
  });
  it("uses PATH only with the right version and the Node.js plugins", () => {
    expect(decidePulumi({ ...base, path: inst("3.248.0", true, "/p") })).toEqual({
      action: "use",
      dir: "/p",
      from: "PATH",
    });
    expect(decidePulumi({ ...base, path: inst("3.200.0") }).action).toBe("install");
    expect(decidePulumi({ ...base, path: inst("3.248.0", false) }).action).toBe("install");
  });
  it("rebuilds a cache of the wrong version or an incomplete one", () => {
    expect(decidePulumi({ ...base, cache: inst("3.247.0") })).toEqual({
      action: "install",
      methods: ["official", "go-build"],
    });
    expect(decidePulumi({ ...base, cache: inst("3.248.0", false) }).action).toBe("install");
  });
  it("tries the official download before the Go build, and only what is possible", () => {
    expect(decidePulumi({ ...base })).toEqual({ action: "install", methods: ["official", "go-build"] });
    expect(decidePulumi({ ...base, tryOfficial: false })).toEqual({
      action: "install",
      methods: ["go-build"],
    });
  });
  it("fails with what to install when there is no way to get Pulumi", () => {
    const plan = decidePulumi({ ...base, goAvailable: false, tryOfficial: false });
    expect(plan.action).toBe("fail");
    expect(plan.action === "fail" && plan.message).toMatch(/Install Go/);
  });
  it("pins exactly one version, the same in package.json and the Go wrapper module", () => {
    const v = pinnedPulumiVersion();
    expect(v).toMatch(/^\d+\.\d+\.\d+$/);
    const gomod = readFileSync(join(REPO_ROOT, "tools/pulumi/go.mod"), "utf8");
    expect(gomod).toContain(`github.com/pulumi/pulumi/pkg/v3 v${v}`);
    expect(gomod).toContain(`github.com/pulumi/pulumi/sdk/v3 v${v}`);
    expect(pulumiBinDir(v, { VXLAN_LAB_CACHE: "/cache" })).toBe(`/cache/pulumi/${v}/bin`);
  });
  it("rejects a range instead of a pin", () => {
    expect(() =>
      pinnedPulumiVersion(JSON.stringify({ dependencies: { "@pulumi/pulumi": "^3.0.0" } })),
    ).toThrow(/exact version/);
  });
});

describe("images", () => {
  it("builds only when the definition's tag is missing", () => {
    expect(decideImage("vxlan-lab/frr:abc", ["vxlan-lab/frr:abc", "vxlan-lab/frr:old"]).action).toBe(
      "up-to-date",
    );
    expect(decideImage("vxlan-lab/frr:abc", ["vxlan-lab/frr:old"]).action).toBe("build");
    expect(decideImage("vxlan-lab/frr:abc", []).action).toBe("build");
  });
  it("hashes every file of the definition, content and name", () => {
    const files = [
      { path: "Dockerfile", content: Buffer.from("FROM x") },
      { path: "image.json", content: Buffer.from("{}") },
    ];
    const h = definitionHash(files);
    expect(h).toMatch(/^[0-9a-f]{12}$/);
    expect(definitionHash([...files].reverse())).toBe(h);
    expect(definitionHash([files[0]!, { path: "image.json", content: Buffer.from("{ }") }])).not.toBe(h);
    expect(definitionHash([files[0]!, { path: "other.json", content: Buffer.from("{}") }])).not.toBe(h);
  });
  it("defines the FRR image with the daemons' package and a version label", () => {
    const frr = readDefinition("frr");
    expect(frr.spec.packages).toEqual(
      expect.arrayContaining(["frr", "iproute2", "nftables", "tcpdump", "iputils-ping"]),
    );
    expect(frr.spec.versionLabels["org.vxlan-lab.frr-version"]).toBe("frr");
    expect(imageRef("frr")).toMatch(/^vxlan-lab\/frr:[0-9a-f]{12}$/);
    expect(readDefinition("host").spec.packages).toEqual(
      expect.arrayContaining(["busybox", "iproute2", "tcpdump"]),
    );
  });
  it("defines frr-evpn from Debian forky (FRR 10.7), apt told to accept its expired Release files", () => {
    const evpn = readDefinition("frr-evpn");
    expect(evpn.spec.suite).toBe("forky");
    expect(evpn.spec.aptOptions).toEqual(['Acquire::Check-Valid-Until "false"']);
    expect(evpn.spec.packages).toEqual(expect.arrayContaining(["frr", "iproute2", "nftables", "mtr-tiny"]));
    expect(readDefinition("frr").spec.aptOptions).toBeUndefined();
    expect(imageRef("frr-evpn")).toMatch(/^vxlan-lab\/frr-evpn:[0-9a-f]{12}$/);
  });
  it("puts the agent's sources in its image tag, so an agent change rebuilds the image", () => {
    const agent = readDefinition("agent");
    expect(agent.spec.bundles).toEqual({ "agent.js": "src/agent/main.ts" });
    const paths = agent.hashInputs.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["Dockerfile", "bundle-source/src/agent/main.ts"]));
    expect(agent.files.map((f) => f.path)).not.toContain("bundle-source/src/agent/main.ts");
    const changed = agent.hashInputs.map((f) =>
      f.path === "bundle-source/src/agent/main.ts" ? { ...f, content: Buffer.from("// edited") } : f,
    );
    expect(definitionHash(changed)).not.toBe(definitionHash(agent.hashInputs));
    expect(imageRef("agent")).toBe(`vxlan-lab/agent:${definitionHash(agent.hashInputs)}`);
    expect(readDefinition("registry").spec.packages).toContain("etcd-server");
  });
  it("puts every file the agent bundle is made of in its tag: shared sources and the libraries too", () => {
    const paths = readDefinition("agent").hashInputs.map((f) => f.path);
    expect(paths).toContain("bundle-source/src/util/json.ts");
    for (const lib of ["ip-address", "zod", "execa"]) {
      expect(paths.some((p) => p.startsWith(`bundle-source/node_modules/${lib}/`))).toBe(true);
    }
    // Only what the bundle pulls in: the CLI's sources are not part of the agent.
    expect(paths.some((p) => p.startsWith("bundle-source/src/cli/"))).toBe(false);
  });
  it("rejects an image.json with a missing or unknown field, naming the file and the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "libs-image-"));
    mkdirSync(join(dir, "frr"));
    writeFileSync(
      join(dir, "frr", "image.json"),
      JSON.stringify({ description: "x", suite: "trixie", pakages: [] }),
    );
    expect(() => readDefinition("frr", dir)).toThrow(
      /frr\/image.json is not what was expected:[\s\S]*packages[\s\S]*pakages/,
    );
    rmSync(dir, { recursive: true });
  });
  it("reads package versions from dpkg-query output", () => {
    expect(parseVersions("frr 10.3-3+deb13u1\niproute2 6.15.0-1\n")).toEqual({
      frr: "10.3-3+deb13u1",
      iproute2: "6.15.0-1",
    });
  });
  it("takes the Debian mirror from apt's own sources, both formats", () => {
    const deb822 = `Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n`;
    expect(debianMirror([{ path: "a.sources", content: deb822 }])).toBe("http://mirror.example/debian");
    const oneLine = "deb [arch=amd64] http://m.example/debian/ trixie main\n";
    expect(debianMirror([{ path: "sources.list", content: oneLine }])).toBe("http://m.example/debian");
    expect(
      debianMirror([{ path: "x", content: "deb https://packages.example/apt stable main\n" }]),
    ).toBeUndefined();
  });
});

describe("bootstrap steps", () => {
  it("prints one line per step with its duration, then the total", async () => {
    const lines: string[] = [];
    const results = await runSteps(
      [
        { name: "one", run: async () => "done" },
        { name: "two", run: async () => "up to date" },
      ],
      (l) => lines.push(l),
    );
    expect(results.map((r) => r.outcome)).toEqual(["done", "up to date"]);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^one\s+\d+\.\ds\s+done$/);
    expect(lines[2]).toMatch(/^total\s+\d+\.\ds/);
  });
  it("stops at the first failure and names the step", async () => {
    const lines: string[] = [];
    let ranThird = false;
    const p = runSteps(
      [
        { name: "ok", run: async () => "fine" },
        { name: "images", run: async () => Promise.reject(new Error("No space left on device")) },
        { name: "after", run: async () => ((ranThird = true), "x") },
      ],
      (l) => lines.push(l),
    );
    await expect(p).rejects.toThrow(StepError);
    await expect(p).rejects.toThrow("images: No space left on device");
    expect(ranThird).toBe(false);
    expect(lines[1]).toContain("FAILED");
    expect(formatStep({ name: "x", outcome: "y", seconds: 1.25 })).toMatch(/^x\s+1\.3s\s+y$/);
  });
});
