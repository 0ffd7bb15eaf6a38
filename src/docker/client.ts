import type Dockerode from "dockerode";

/**
 * The engine API client. Loaded on first use, not at module level, so that
 * Pulumi can serialize dynamic providers that import this module.
 */
export function docker(): Dockerode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require("dockerode") as typeof Dockerode;
  // Honours DOCKER_HOST; otherwise the default Unix socket.
  return new Docker({ timeout: 120_000 });
}

/** Where the engine is expected, for messages. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || "unix:///var/run/docker.sock";
}

export async function engineAnswers(timeoutMs = 3000): Promise<boolean> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require("dockerode") as typeof Dockerode;
  try {
    await new Docker({ timeout: timeoutMs }).ping();
    return true;
  } catch {
    return false;
  }
}
