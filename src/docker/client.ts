import { readFileSync } from "node:fs";
import { join } from "node:path";
import type Dockerode from "dockerode";

/**
 * How to reach an engine other than the default: unix:///path, tcp://host:port
 * (with `tls`, a directory holding ca.pem, cert.pem and key.pem) or
 * ssh://user@host[:port] (through the ssh agent, as the docker CLI does).
 */
export interface EngineAccess {
  endpoint: string;
  tls?: string;
}

/** A container and the engine that holds it; a bare name is on the default engine. */
export interface Target {
  container: string;
  engine?: EngineAccess;
}
export type ContainerRef = string | Target;

export function targetOf(ref: ContainerRef): Target {
  return typeof ref === "string" ? { container: ref } : ref;
}

/** The container's name, for messages. */
export function nameOf(ref: ContainerRef): string {
  return targetOf(ref).container;
}

/** One key per engine: batches and caches are kept per engine. */
export function engineKey(engine?: EngineAccess): string {
  return engine ? `${engine.endpoint}${engine.tls ? `#${engine.tls}` : ""}` : "";
}

/** Dockerode's options for an endpoint. Pure but for reading the TLS files. */
export function engineOptions(engine: EngineAccess, timeout: number): Dockerode.DockerOptions {
  const u = new URL(engine.endpoint);
  const port = u.port ? Number(u.port) : undefined;
  // The engine client builds a URL from an http(s) host, so an IPv6 one keeps
  // its brackets there; ssh takes the bare address.
  const bare = u.hostname.replace(/^\[(.*)\]$/, "$1");
  switch (u.protocol) {
    case "unix:":
      return { socketPath: decodeURIComponent(u.pathname), timeout };
    case "tcp:": {
      const host = u.hostname;
      if (!engine.tls) return { protocol: "http", host, port, timeout };
      const file = (f: string) => readFileSync(join(engine.tls ?? "", f));
      return {
        protocol: "https",
        host,
        port,
        ca: file("ca.pem"),
        cert: file("cert.pem"),
        key: file("key.pem"),
        timeout,
      };
    }
    case "ssh:":
      return {
        protocol: "ssh",
        host: bare,
        port: port ?? 22,
        ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
        // No timeout: the engine client sets it on the socket, and an SSH
        // channel has none to set (a TypeError that ends the process).
      } as Dockerode.DockerOptions;
    default:
      throw new Error(`engine endpoint ${engine.endpoint}: only unix://, tcp:// and ssh:// are supported`);
  }
}

const clients = new Map<string, Dockerode>();

/**
 * The engine API client for an engine (the default one: DOCKER_HOST, or the
 * local socket). Loaded on first use, not at module level, so that Pulumi can
 * serialize dynamic providers that import this module.
 */
export function docker(engine?: EngineAccess, timeout = 120_000): Dockerode {
  // The default engine follows DOCKER_HOST as it is now (tests point it elsewhere and back).
  const key = `${engine ? engineKey(engine) : `default:${process.env.DOCKER_HOST ?? ""}`}@${timeout}`;
  let c = clients.get(key);
  if (!c) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Docker = require("dockerode") as typeof Dockerode;
    c = new Docker(engine ? engineOptions(engine, timeout) : { timeout });
    clients.set(key, c);
  }
  return c;
}

/** The container a reference names, on its engine. */
export function containerAt(ref: ContainerRef): { engine: Dockerode; container: Dockerode.Container } {
  const t = targetOf(ref);
  const engine = docker(t.engine);
  return { engine, container: engine.getContainer(t.container) };
}

/** Where the engine is expected, for messages. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env, engine?: EngineAccess): string {
  return engine?.endpoint ?? (env.DOCKER_HOST || "unix:///var/run/docker.sock");
}

export async function engineAnswers(timeoutMs = 3000, engine?: EngineAccess): Promise<boolean> {
  try {
    await docker(engine, timeoutMs).ping();
    return true;
  } catch {
    return false;
  }
}
