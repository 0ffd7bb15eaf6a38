/**
 * Images between engines without a registry: saved from the engine that built
 * them and loaded into another, through the engine API. Tags are content
 * hashes, so a copy happens only when the tag is missing there.
 */
import { docker, type EngineAccess } from "./client";

export async function hasImage(ref: string, engine?: EngineAccess): Promise<boolean> {
  return docker(engine)
    .getImage(ref)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** Copies `ref` from one engine to another unless it is there; says whether it copied. */
export async function copyImage(ref: string, to: EngineAccess, from?: EngineAccess): Promise<boolean> {
  if (await hasImage(ref, to)) return false;
  if (!(await hasImage(ref, from))) {
    throw new Error(
      `image ${ref} is on neither engine: \`scripts/lab bootstrap\` builds it on ${from?.endpoint ?? "the default engine"}`,
    );
  }
  const target = docker(to, 600_000);
  const tar = await docker(from, 600_000).getImage(ref).get();
  const loading = await target.loadImage(tar);
  await new Promise<void>((resolve, reject) => {
    target.modem.followProgress(loading, (err: Error | null) => (err ? reject(err) : resolve()));
  });
  if (!(await hasImage(ref, to))) throw new Error(`loading ${ref} into ${to.endpoint} left no such image`);
  return true;
}
