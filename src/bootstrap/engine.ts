import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import pRetry, { AbortError } from "p-retry";
import { engineAddress, engineAnswers } from "../docker/client";
import { cacheDir } from "../util/paths";
import { which } from "../util/process";
import { aptInstall, isDebian, isRoot } from "./host";

export interface EngineFacts {
  answers: boolean;
  /** DOCKER_HOST points somewhere: we must not start a different engine. */
  dockerHost?: string;
  isRoot: boolean;
  isDebian: boolean;
  dockerdInstalled: boolean;
}

export type EnginePlan =
  | { action: "use" }
  | { action: "start" }
  | { action: "install-and-start" }
  | { action: "fail"; message: string };

export function decideEngine(f: EngineFacts): EnginePlan {
  if (f.answers) return { action: "use" };
  if (f.dockerHost) {
    return {
      action: "fail",
      message: `no Docker engine answers at DOCKER_HOST=${f.dockerHost}; start that engine, or unset DOCKER_HOST to use the local one`,
    };
  }
  if (f.isRoot && f.dockerdInstalled) return { action: "start" };
  if (f.isRoot && f.isDebian) return { action: "install-and-start" };
  if (f.dockerdInstalled) {
    return {
      action: "fail",
      message:
        "no Docker engine answers at /var/run/docker.sock and only root can start dockerd here; start it (e.g. `sudo dockerd &`) and run again",
    };
  }
  return {
    action: "fail",
    message:
      "no Docker engine answers at /var/run/docker.sock and none can be installed automatically (that needs root on Debian); " +
      "install a Docker engine (Debian: `apt-get install docker.io`), start it, and run again",
  };
}

export async function gatherEngineFacts(): Promise<EngineFacts> {
  return {
    answers: await engineAnswers(),
    dockerHost: process.env.DOCKER_HOST || undefined,
    isRoot: isRoot(),
    isDebian: isDebian(),
    dockerdInstalled: which("dockerd", `${process.env.PATH ?? ""}:/usr/sbin:/sbin`) !== undefined,
  };
}

export async function ensureEngine(): Promise<string> {
  const plan = decideEngine(await gatherEngineFacts());
  switch (plan.action) {
    case "use":
      return `answers at ${engineAddress()}`;
    case "fail":
      throw new Error(plan.message);
    case "install-and-start":
      await aptInstall(["docker.io"]);
      await startDockerd();
      return "installed docker.io, started dockerd";
    case "start":
      await startDockerd();
      return "started dockerd";
  }
}

/** Starts dockerd in the background and waits (bounded) until it answers. */
async function startDockerd(timeoutMs = 60_000): Promise<void> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, "dockerd.log");
  const dockerd = which("dockerd", `${process.env.PATH ?? ""}:/usr/sbin:/sbin`) ?? "dockerd";
  const fd = openSync(logPath, "a");
  // A daemon: detached, not killed when we exit, and nobody waits on its promise.
  const child = execa(dockerd, [], {
    detached: true,
    cleanup: false,
    reject: false,
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  let exited: number | null = null;
  child.on("exit", (code) => (exited = code ?? 1));
  child.unref();
  const answered = await pRetry(
    async () => {
      if (await engineAnswers(1000)) return true;
      if (exited !== null) throw new AbortError(`dockerd exited with ${exited}`);
      throw new Error("no answer yet");
    },
    { retries: Infinity, factor: 1, minTimeout: 500, maxRetryTime: timeoutMs },
  ).catch(() => false);
  if (answered) return;
  const tail = existsSync(logPath)
    ? readFileSync(logPath, "utf8").trim().split("\n").slice(-10).join("\n")
    : "";
  throw new Error(
    `dockerd ${exited !== null ? `exited with ${exited}` : `did not answer within ${timeoutMs / 1000}s`}; its log (${logPath}) ends with:\n${tail}`,
  );
}
