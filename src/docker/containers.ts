/**
 * Containers over the engine API. Knows nothing of VXLAN: the lab says what a
 * node is (image, capabilities, files, command), this makes it exist.
 */
import tar from "tar-stream";
import { containerAt, docker, type ContainerRef, type EngineAccess, type Target } from "./client";

export interface ContainerFile {
  path: string;
  content: string;
  /** Octal permission bits; default 0o644. */
  mode?: number;
}

export interface ContainerSpec {
  name: string;
  image: string;
  hostname: string;
  labels: Record<string, string>;
  /** Added to the engine's default set; never privileged. */
  capAdd: string[];
  sysctls: Record<string, string>;
  cmd?: string[];
  /** Written into the container before it starts: its configuration is in place at its first breath. */
  files?: ContainerFile[];
  /** A sidecar: joins this container's network namespace (by ID) instead of getting none. */
  networkOf?: string;
  /** That container's init PID when this one was made (the resource replaces the sidecar when it changes). */
  networkPid?: number;
  /** "host": sees every process of the engine's host (the wiring helper, which enters namespaces). */
  pidMode?: "host";
  /** The engine that holds it; absent: the default one. */
  engine?: EngineAccess;
}

export interface ContainerState {
  id: string;
  name: string;
  /** The init's PID on the engine's host: identifies the network namespace. */
  pid: number;
}

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

/** A tar archive of the files, rooted at /, as the engine's archive endpoint takes it. */
export function archive(files: readonly ContainerFile[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const f of files) {
    pack.entry({ name: f.path.replace(/^\/+/, ""), mode: f.mode ?? 0o644 }, f.content);
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on("data", (c: Buffer) => chunks.push(c));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
}

/**
 * Creates and starts a container. A container of the same name is replaced
 * only when it carries the same labels (a leftover of this node); anyone
 * else's container with that name is an error, not a casualty.
 */
export async function createContainer(spec: ContainerSpec): Promise<ContainerState> {
  const engine = docker(spec.engine);
  const ref = { container: spec.name, ...(spec.engine ? { engine: spec.engine } : {}) };
  await replaceLeftover(ref, spec.labels);
  const c = await engine.createContainer({
    name: spec.name,
    // The engine refuses a hostname for a container in another's namespace.
    Hostname: spec.networkOf ? undefined : spec.hostname,
    Image: spec.image,
    Cmd: spec.cmd,
    Labels: spec.labels,
    HostConfig: {
      // tini as PID 1 reaps the zombies FRR's scripts leave behind.
      Init: true,
      // No Docker network at all: every lab link is a veth we wire ourselves.
      NetworkMode: spec.networkOf ? `container:${spec.networkOf}` : "none",
      PidMode: spec.pidMode,
      CapAdd: spec.capAdd,
      Sysctls: spec.sysctls,
      RestartPolicy: { Name: "no" },
    },
  });
  try {
    if (spec.files?.length) await c.putArchive(await archive(spec.files), { path: "/" });
    await c.start();
    const s = await inspectContainer(ref);
    if (!s) throw new Error(`container ${spec.name} stopped right after start: ${await tail(ref)}`);
    return s;
  } catch (err) {
    // Nothing half-built stays behind.
    await c.remove({ force: true }).catch(() => undefined);
    throw err;
  }
}

async function replaceLeftover(ref: Target, labels: Record<string, string>): Promise<void> {
  const name = ref.container;
  let info;
  try {
    info = await containerAt(ref).container.inspect();
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  const theirs = info.Config.Labels ?? {};
  const foreign = Object.entries(labels).filter(([k, v]) => theirs[k] !== v);
  if (foreign.length) {
    throw new Error(
      `a container named ${name} exists and is not this lab node's (labels ${foreign.map(([k]) => k).join(", ")} differ); remove it or choose another stack name`,
    );
  }
  await removeContainer(ref);
}

/** The last lines a container printed: what a failed start says. */
export async function tail(ref: ContainerRef, lines = 20): Promise<string> {
  try {
    const buf = (await containerAt(ref).container.logs({ stdout: true, stderr: true, tail: lines })) as
      Buffer | string;
    return stripFrames(Buffer.isBuffer(buf) ? buf : Buffer.from(buf)).trim() || "(no output)";
  } catch {
    return "(no logs)";
  }
}

/** A non-TTY container's log stream comes in 8-byte-headed frames. */
function stripFrames(b: Buffer): string {
  let out = "";
  let i = 0;
  while (i + 8 <= b.length && (b[i] === 1 || b[i] === 2) && b[i + 1] === 0) {
    const len = b.readUInt32BE(i + 4);
    out += b.subarray(i + 8, i + 8 + len).toString("utf8");
    i += 8 + len;
  }
  return i === 0 ? b.toString("utf8") : out;
}

/** undefined when the container does not exist or is not running. */
export async function inspectContainer(ref: ContainerRef): Promise<ContainerState | undefined> {
  try {
    const info = await containerAt(ref).container.inspect();
    if (!info.State.Running) return undefined;
    return { id: info.Id, name: info.Name.replace(/^\//, ""), pid: info.State.Pid };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Already gone counts as removed. */
export async function removeContainer(ref: ContainerRef): Promise<void> {
  try {
    await containerAt(ref).container.remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test(String(err))) throw err;
  }
}

export async function listContainers(
  labels: Record<string, string>,
  engine?: EngineAccess,
): Promise<{ id: string; name: string; labels: Record<string, string>; state: string }[]> {
  const list = await docker(engine).listContainers({
    all: true,
    filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
  });
  return list.map((c) => ({
    id: c.Id,
    name: (c.Names[0] ?? "").replace(/^\//, ""),
    labels: c.Labels,
    state: c.State,
  }));
}
