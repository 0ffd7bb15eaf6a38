import { cpSync, createReadStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type Dockerode from "dockerode";
import { build as esbuild } from "esbuild";
import { docker } from "../docker/client";
import { debianMirror } from "../bootstrap/host";
import { runOk } from "../util/process";
import {
  bundleOptions,
  definitionHash,
  IMAGE_NAMES,
  imageRepo,
  readDefinition,
  type ImageDefinition,
  type ImageName,
} from "./definition";

export type ImagePlan = { action: "up-to-date"; ref: string } | { action: "build"; ref: string };

/** Pure: the engine's tags for the repo decide. A tag exists only after a complete build. */
export function decideImage(ref: string, existingTags: readonly string[]): ImagePlan {
  return existingTags.includes(ref) ? { action: "up-to-date", ref } : { action: "build", ref };
}

export async function ensureImages(names: readonly ImageName[] = IMAGE_NAMES): Promise<string> {
  const outcomes: string[] = [];
  for (const name of names) {
    const def = readDefinition(name);
    const ref = `${imageRepo(name)}:${definitionHash(def.hashInputs)}`;
    const tags = (await docker().listImages({ filters: { reference: [imageRepo(name)] } })).flatMap(
      (i) => i.RepoTags ?? [],
    );
    const plan = decideImage(ref, tags);
    if (plan.action === "build") {
      const size = await buildImage(def, ref);
      outcomes.push(`${ref} built (${(size / 1e6).toFixed(0)} MB)`);
    } else {
      outcomes.push(`${ref} up to date`);
    }
  }
  return outcomes.join(", ");
}

/**
 * rootfs from Debian packages (mmdebstrap) -> imported as a temporary tag ->
 * the image's Dockerfile layered on it, tagged only once the build succeeded.
 */
export async function buildImage(def: ImageDefinition, ref: string): Promise<number> {
  const mirror = debianMirror();
  if (!mirror)
    throw new Error(
      "no Debian mirror found in /etc/apt/sources.list{,.d}: images are built from Debian packages",
    );
  const work = mkdtempSync(join(tmpdir(), `vxlan-lab-${def.name}-`));
  const rootfsRef = `${imageRepo(def.name)}-rootfs:${ref.split(":")[1]}`;
  const engine = docker();
  try {
    const tar = join(work, "rootfs.tar");
    const versionsFile = join(work, "versions");
    const pkgs = Object.values(def.spec.versionLabels);
    await runOk(
      "mmdebstrap",
      [
        "--variant=minbase",
        "--quiet",
        `--include=${def.spec.packages.join(",")}`,
        '--aptopt=Acquire::Retries "3"',
        ...(def.spec.aptOptions ?? []).map((o) => `--aptopt=${o}`),
        // Images stay small: no docs, man pages or translations.
        "--dpkgopt=path-exclude=/usr/share/doc/*",
        "--dpkgopt=path-exclude=/usr/share/man/*",
        "--dpkgopt=path-exclude=/usr/share/locale/*",
        ...(pkgs.length
          ? [
              `--customize-hook=chroot "$1" dpkg-query -W -f='\${Package} \${Version}\\n' ${pkgs.join(" ")} > ${versionsFile}`,
            ]
          : []),
        def.spec.suite,
        tar,
        mirror,
      ],
      { timeoutMs: 20 * 60_000 },
    );
    const versions = parseVersions(existsSync(versionsFile) ? readFileSync(versionsFile, "utf8") : "");
    const labels: Record<string, string> = { "org.vxlan-lab.definition-hash": ref.split(":")[1] ?? "" };
    for (const [label, pkg] of Object.entries(def.spec.versionLabels)) {
      const v = versions[pkg];
      if (!v) throw new Error(`package ${pkg} is not installed in the ${def.name} rootfs`);
      labels[label] = v;
    }
    const [repo, tag] = rootfsRef.split(":") as [string, string];
    await follow(engine, await engine.importImage(createReadStream(tar) as unknown as string, { repo, tag }));
    rmSync(tar);
    const context = join(work, "context");
    // A copy keeps the files' modes: scripts stay executable without a RUN step.
    cpSync(def.dir, context, { recursive: true });
    for (const [out, entry] of Object.entries(def.spec.bundles)) {
      await esbuild({ ...bundleOptions(entry), outfile: join(context, out) });
    }
    const stream = await engine.buildImage(
      { context, src: [...def.files.map((f) => f.path), ...Object.keys(def.spec.bundles)] },
      { t: ref, buildargs: { ROOTFS: rootfsRef }, labels, rm: true, forcerm: true, nocache: false },
    );
    await follow(engine, stream);
    const info = await engine.getImage(ref).inspect();
    return info.Size;
  } finally {
    rmSync(work, { recursive: true, force: true });
    // The final image keeps the rootfs layers; only the temporary tag goes.
    await engine
      .getImage(rootfsRef)
      .remove({ noprune: true })
      .catch(() => undefined);
  }
}

export function parseVersions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const [pkg, version] = line.trim().split(/\s+/);
    if (pkg && version) out[pkg] = version;
  }
  return out;
}

/** Waits for an engine progress stream; an error message in it is a failure. */
function follow(engine: Dockerode, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    engine.modem.followProgress(
      stream,
      (err: Error | null, events: { error?: string; errorDetail?: { message?: string } }[]) => {
        const failed = events?.find((e) => e.error || e.errorDetail);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.errorDetail?.message ?? failed.error));
        else resolve();
      },
    );
  });
}
