import { homedir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root (this file is src/util/paths.ts). */
export const REPO_ROOT = resolve(__dirname, "..", "..");

/** Per-user cache shared by every clone: Pulumi binaries, build logs. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VXLAN_LAB_CACHE) return env.VXLAN_LAB_CACHE;
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "vxlan-lab");
}
