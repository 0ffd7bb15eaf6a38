import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildSync, type BuildOptions } from "esbuild";
import { z } from "zod";
import { parseJson } from "../util/json";
import { REPO_ROOT } from "../util/paths";

export const IMAGE_NAMES = ["frr", "host", "registry", "agent", "frr-evpn"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** Bump when the build procedure itself changes, to rebuild every image. */
export const BUILDER_REVISION = "1";

/** images/<name>/image.json. */
export const ImageSpecSchema = z.strictObject({
  description: z.string().min(1),
  /** Debian suite the rootfs comes from. */
  suite: z.string().min(1),
  packages: z.array(z.string().min(1)).min(1),
  /** label -> Debian package whose installed version the label records. */
  versionLabels: z.record(z.string(), z.string()).default({}),
  /**
   * Output file in the build context -> TypeScript entry (repo-relative),
   * bundled into one script at build time. Every file the bundle is made of
   * (our sources and the libraries from node_modules) is part of the
   * definition, so any change to what ends up in the image gives a new tag.
   */
  bundles: z.record(z.string(), z.string()).default({}),
  /**
   * Extra apt options for mmdebstrap (`--aptopt`), e.g. `Acquire::Check-Valid-Until "false"`
   * for a suite whose Release files are past their Valid-Until date on this clock.
   */
  aptOptions: z.array(z.string()).optional(),
});
export type ImageSpec = z.output<typeof ImageSpecSchema>;

export interface ImageDefinition {
  name: ImageName;
  dir: string;
  spec: ImageSpec;
  /** Every file of images/<name>/, relative path -> content: the build context. */
  files: { path: string; content: Buffer }[];
  /** The context plus the sources of the bundles: what the tag is a hash of. */
  hashInputs: { path: string; content: Buffer }[];
}

export function readDefinition(
  name: ImageName,
  imagesDir = join(REPO_ROOT, "images"),
  repoRoot = REPO_ROOT,
): ImageDefinition {
  const dir = join(imagesDir, name);
  const files = listFiles(dir).map((p) => ({ path: relative(dir, p), content: readFileSync(p) }));
  const specFile = files.find((f) => f.path === "image.json");
  if (!specFile) throw new Error(`${dir}/image.json is missing`);
  const spec = parseJson(ImageSpecSchema, specFile.content.toString("utf8"), `${dir}/image.json`);
  const sources = [...new Set(Object.values(spec.bundles).flatMap((entry) => bundleInputs(entry, repoRoot)))]
    .sort()
    .map((p) => ({ path: `bundle-source/${p}`, content: readFileSync(join(repoRoot, p)) }));
  return { name, dir, spec, files, hashInputs: [...files, ...sources] };
}

/** One self-contained CommonJS script for Node 20: nothing to install beside it in the image. */
export const bundleOptions = (entry: string, repoRoot = REPO_ROOT): BuildOptions => ({
  entryPoints: [join(repoRoot, entry)],
  absWorkingDir: repoRoot,
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  logLevel: "error",
});

/** Every file (repo-relative) the bundle of `entry` is made of, as esbuild resolves them. */
function bundleInputs(entry: string, repoRoot: string): string[] {
  const r = buildSync({ ...bundleOptions(entry, repoRoot), write: false, metafile: true, outdir: "out" });
  return Object.keys(r.metafile.inputs);
}

/** A hash of everything that defines the image: any change gives a new tag. */
export function definitionHash(files: readonly { path: string; content: Buffer }[]): string {
  const h = createHash("sha256");
  h.update(`builder ${BUILDER_REVISION}\n`);
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`${f.path}\0${f.content.length}\0`);
    h.update(f.content);
  }
  return h.digest("hex").slice(0, 12);
}

export const imageRepo = (name: ImageName) => `vxlan-lab/${name}`;

/** The tag the lab uses for an image: built only from the definition. */
export function imageRef(name: ImageName, imagesDir?: string): string {
  return `${imageRepo(name)}:${definitionHash(readDefinition(name, imagesDir).hashInputs)}`;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? listFiles(p) : [p];
    });
}
