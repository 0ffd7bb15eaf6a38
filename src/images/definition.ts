import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { REPO_ROOT } from "../util/paths";

export const IMAGE_NAMES = ["frr", "host", "registry", "agent", "frr-evpn"] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/** Bump when the build procedure itself changes, to rebuild every image. */
export const BUILDER_REVISION = "1";

export interface ImageSpec {
  description: string;
  suite: string;
  packages: string[];
  /** label -> Debian package whose installed version the label records. */
  versionLabels: Record<string, string>;
  /**
   * Output file in the build context -> TypeScript entry (repo-relative),
   * bundled into one script at build time. Every file in the entry's folder
   * is part of the definition, so a source change gives a new tag.
   */
  bundles: Record<string, string>;
  /**
   * Extra apt options for mmdebstrap (`--aptopt`), e.g. `Acquire::Check-Valid-Until "false"`
   * for a suite whose Release files are past their Valid-Until date on this clock.
   */
  aptOptions?: string[];
}

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
  const spec = JSON.parse(specFile.content.toString("utf8")) as ImageSpec;
  if (!spec.suite || !Array.isArray(spec.packages) || spec.packages.length === 0) {
    throw new Error(`${dir}/image.json needs "suite" and a non-empty "packages" list`);
  }
  const bundles = spec.bundles ?? {};
  const sources = Object.values(bundles).flatMap((entry) =>
    listFiles(join(repoRoot, dirname(entry))).map((p) => ({
      path: `bundle-source/${relative(repoRoot, p)}`,
      content: readFileSync(p),
    })),
  );
  return {
    name,
    dir,
    spec: { ...spec, versionLabels: spec.versionLabels ?? {}, bundles },
    files,
    hashInputs: [...files, ...sources],
  };
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
