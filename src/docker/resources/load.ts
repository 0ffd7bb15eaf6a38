/**
 * Dynamic providers are serialized into the stack's state, so they hold
 * nothing but a module path and load the implementation (TypeScript, compiled
 * by esbuild-register as it is required) inside the provider process. The
 * hook is registered once per process: each register() stacks another hook
 * and slows every later module load.
 */
export function load<T>(path: string): T {
  const g = globalThis as { __vxlanLabTs?: boolean };
  if (!g.__vxlanLabTs) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("esbuild-register/dist/node") as { register(): unknown }).register();
    g.__vxlanLabTs = true;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as T;
}

/** When an operation ran (epoch ms), kept in the state for bench/ to split `up` into phases. */
export interface Timing {
  start: number;
  end: number;
}

/** Inputs that differ, by key: each dynamic resource here is replaced on any change. */
export function changedKeys(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
  keys: readonly string[],
): string[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}
