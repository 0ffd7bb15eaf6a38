import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, copyFileSync, chmodSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { parseJson } from "../util/json";
import { cacheDir, REPO_ROOT } from "../util/paths";
import { run, runOk, which } from "../util/process";

/** The binaries a `pulumi up` of a Node.js program with dynamic providers needs. */
export const PULUMI_BINARIES = ["pulumi", "pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"] as const;

/** The pin: the CLI must match the @pulumi/pulumi the program runs with. */
export function pinnedPulumiVersion(pkgJson = readFileSync(join(REPO_ROOT, "package.json"), "utf8")): string {
  const pkg = parseJson(
    z.looseObject({ dependencies: z.record(z.string(), z.string()).optional() }),
    pkgJson,
    "package.json",
  );
  const dep = pkg.dependencies?.["@pulumi/pulumi"];
  if (!dep || !/^\d+\.\d+\.\d+$/.test(dep)) {
    throw new Error(
      `package.json must pin @pulumi/pulumi to an exact version (x.y.z), found ${dep ?? "none"}`,
    );
  }
  return dep;
}

export function pulumiBinDir(version: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheDir(env), "pulumi", version, "bin");
}

export interface PulumiInstall {
  /** Directory holding all PULUMI_BINARIES. */
  dir: string;
  /** What `pulumi version` printed, without the leading v. */
  version: string | undefined;
  complete: boolean;
}

export type PulumiPlan =
  | { action: "use"; dir: string; from: "cache" | "PATH" }
  | { action: "install"; methods: ("official" | "go-build")[] }
  | { action: "fail"; message: string };

/**
 * The cache wins over PATH (it is ours and keyed by version); a PATH install
 * counts only if it has the right version and the Node.js plugins beside it.
 */
export function decidePulumi(f: {
  want: string;
  cache?: PulumiInstall;
  path?: PulumiInstall;
  goAvailable: boolean;
  tryOfficial: boolean;
}): PulumiPlan {
  if (f.cache?.complete && f.cache.version === f.want)
    return { action: "use", dir: f.cache.dir, from: "cache" };
  if (f.path?.complete && f.path.version === f.want) return { action: "use", dir: f.path.dir, from: "PATH" };
  const methods: ("official" | "go-build")[] = [];
  if (f.tryOfficial) methods.push("official");
  if (f.goAvailable) methods.push("go-build");
  if (methods.length === 0) {
    return {
      action: "fail",
      message:
        `Pulumi CLI ${f.want} is not installed and cannot be built: no \`go\` on PATH. ` +
        `Install Go >= 1.21 (it fetches the toolchain it needs through the Go module proxy), ` +
        `or put pulumi ${f.want} with pulumi-language-nodejs on PATH`,
    };
  }
  return { action: "install", methods };
}

async function probe(dir: string): Promise<PulumiInstall> {
  const complete = PULUMI_BINARIES.every((b) => existsSync(join(dir, b)));
  if (!existsSync(join(dir, "pulumi"))) return { dir, version: undefined, complete: false };
  const r = await run(join(dir, "pulumi"), ["version"], { env: quietEnv(), timeoutMs: 30_000 });
  return { dir, version: r.code === 0 ? r.stdout.trim().replace(/^v/, "") : undefined, complete };
}

export async function ensurePulumi(): Promise<string> {
  const want = pinnedPulumiVersion();
  const cache = pulumiBinDir(want);
  const onPath = which("pulumi");
  const plan = decidePulumi({
    want,
    cache: await probe(cache),
    path: onPath ? await probe(dirname(onPath)) : undefined,
    goAvailable: goBinary() !== undefined,
    tryOfficial: process.env.VXLAN_LAB_NO_OFFICIAL_PULUMI !== "1",
  });
  if (plan.action === "fail") throw new Error(plan.message);
  if (plan.action === "use") return `${want} from ${plan.from} (${plan.dir})`;
  const failures: string[] = [];
  for (const method of plan.methods) {
    const staging = `${cache}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    try {
      if (method === "official") await installOfficial(want, staging);
      else await buildFromGoModules(want, staging);
      // An interrupted install never leaves a cache dir that looks complete.
      rmSync(cache, { recursive: true, force: true });
      mkdirSync(dirname(cache), { recursive: true });
      renameSync(staging, cache);
      const check = await probe(cache);
      if (check.version !== want)
        throw new Error(`installed pulumi reports ${check.version ?? "no version"}`);
      return `${want} ${method === "official" ? "downloaded" : "built from Go modules"} into ${cache}`;
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      failures.push(`${method}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
    }
  }
  throw new Error(`could not install Pulumi CLI ${want}:\n  ${failures.join("\n  ")}`);
}

/** The release tarball, as Pulumi's own installer fetches it. */
async function installOfficial(version: string, dest: string): Promise<void> {
  const url = `https://get.pulumi.com/releases/sdk/pulumi-v${version}-linux-x64.tar.gz`;
  const tgz = `${dest}/pulumi.tgz`;
  await runOk("curl", ["-fsSL", "--max-time", "120", "-o", tgz, url], { timeoutMs: 130_000 });
  await runOk("tar", ["-xzf", tgz, "-C", dest, "--strip-components=1"]);
  rmSync(tgz);
}

/**
 * Builds the CLI from the Go module proxy through tools/pulumi (a wrapper
 * module: the CLI's own go.mod has replace directives `go install` refuses),
 * plus our language host and dynamic-provider launcher.
 */
async function buildFromGoModules(version: string, dest: string): Promise<void> {
  const tools = join(REPO_ROOT, "tools", "pulumi");
  const env = { ...process.env, CGO_ENABLED: "0", GOFLAGS: "-mod=readonly -buildvcs=false" };
  const ldVersion = `-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${version}`;
  const go = goBinary() ?? "go";
  await runOk(
    go,
    [
      "build",
      "-trimpath",
      "-ldflags",
      `-s -w ${ldVersion}`,
      "-o",
      join(dest, "pulumi"),
      "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi",
    ],
    { cwd: tools, env },
  );
  await runOk(
    go,
    [
      "build",
      "-trimpath",
      "-ldflags",
      `-s -w -X main.version=${version}`,
      "-o",
      join(dest, "pulumi-language-nodejs"),
      "./language-nodejs",
    ],
    { cwd: tools, env },
  );
  const launcher = join(dest, "pulumi-resource-pulumi-nodejs");
  copyFileSync(join(tools, "pulumi-resource-pulumi-nodejs"), launcher);
  chmodSync(launcher, 0o755);
}

/** Go from PATH, or where the official tarball installs it (not always on a non-login PATH). */
function goBinary(): string | undefined {
  return which("go", `${process.env.PATH ?? ""}:/usr/local/go/bin`);
}

/** Environment for running the CLI: local state, no prompts, no update check. */
/**
 * Resource operations Pulumi runs at once. Its default is 4 per CPU (8 here),
 * which queues a lab's 99 containers and 128 links in eights (measured: 101 s
 * for `up` at 32 VTEPs); the engine and the wiring helper take them all at once.
 */
export const PARALLEL = "512";

/**
 * The local backend rewrites the whole state file after every resource
 * operation: at 32 VTEPs that is 360 rewrites of a 4.7 MB file, and `up` took
 * 123 s instead of 48 s (`destroy` 132 s instead of 9 s). The state is written
 * once, at the end. A run killed half-way leaves no record of what it made,
 * which the lab tolerates: a container or link of the same name left behind
 * is replaced, and `destroy` also removes whatever carries the stack's label.
 */
export const SKIP_CHECKPOINTS = "true";

export function quietEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PULUMI_PARALLEL: base.PULUMI_PARALLEL ?? PARALLEL,
    PULUMI_SKIP_CHECKPOINTS: base.PULUMI_SKIP_CHECKPOINTS ?? SKIP_CHECKPOINTS,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_CONFIG_PASSPHRASE: base.PULUMI_CONFIG_PASSPHRASE ?? "",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}
