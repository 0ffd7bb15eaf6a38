/**
 * Containers, veth links and exec over the engine API. Knows nothing of
 * VXLAN: the lab and the variants describe what to run, this runs it.
 */
import { PassThrough } from "node:stream";
import { docker } from "./client";

export interface ContainerSpec {
  name: string;
  image: string;
  hostname: string;
  labels: Record<string, string>;
  /** Added to the engine's default set; never privileged. */
  capAdd: string[];
  sysctls: Record<string, string>;
  cmd?: string[];
  /** A sidecar: joins this container's network namespace (by ID) instead of getting none. */
  networkOf?: string;
}

export interface ContainerState {
  id: string;
  name: string;
  /** The init's PID on the host: identifies the network namespace. */
  pid: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const isNotFound = (err: unknown) => (err as { statusCode?: number }).statusCode === 404;

export async function createContainer(spec: ContainerSpec): Promise<ContainerState> {
  const engine = docker();
  // The name belongs to this lab node: a stopped leftover (engine restart, hand-made) gives way.
  await removeContainer(spec.name);
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
      CapAdd: spec.capAdd,
      Sysctls: spec.sysctls,
      RestartPolicy: { Name: "no" },
    },
  });
  try {
    await c.start();
    return await inspectContainer(spec.name).then((s) => {
      if (!s) throw new Error(`container ${spec.name} vanished right after start`);
      return s;
    });
  } catch (err) {
    // Nothing half-built stays behind.
    await c.remove({ force: true }).catch(() => undefined);
    throw err;
  }
}

/** undefined when the container does not exist or is not running. */
export async function inspectContainer(name: string): Promise<ContainerState | undefined> {
  try {
    const info = await docker().getContainer(name).inspect();
    if (!info.State.Running) return undefined;
    return { id: info.Id, name: info.Name.replace(/^\//, ""), pid: info.State.Pid };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Already gone counts as removed. */
export async function removeContainer(name: string): Promise<void> {
  try {
    await docker().getContainer(name).remove({ force: true, v: true });
  } catch (err) {
    if (!isNotFound(err) && !/already in progress/.test(String(err))) throw err;
  }
}

export async function listContainers(
  labels: Record<string, string>,
): Promise<{ id: string; name: string }[]> {
  const list = await docker().listContainers({
    all: true,
    filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
  });
  return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? "").replace(/^\//, "") }));
}

export async function exec(container: string, cmd: string[], input?: string): Promise<ExecResult> {
  const engine = docker();
  const e = await engine.getContainer(container).exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: input !== undefined,
  });
  const stream = await e.start({ hijack: true, stdin: input !== undefined });
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = "";
  let stderr = "";
  out.on("data", (d: Buffer) => (stdout += d.toString()));
  err.on("data", (d: Buffer) => (stderr += d.toString()));
  engine.modem.demuxStream(stream, out, err);
  if (input !== undefined) stream.end(input);
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
  });
  // The exec's exit code can lag the end of its stream by a moment.
  for (let i = 0; i < 50; i++) {
    const info = await e.inspect();
    if (!info.Running && info.ExitCode !== null) return { code: info.ExitCode, stdout, stderr };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`exec in ${container} did not report an exit code: ${cmd.join(" ")}`);
}

/** Runs a shell script in a container; a non-zero exit throws with node, script and stderr. */
export async function sh(container: string, script: string, what = container): Promise<string> {
  const r = await exec(container, ["sh", "-ec", script]);
  if (r.code !== 0) {
    throw new Error(
      `${what}: command failed with exit ${r.code}: ${script}\n${(r.stderr || r.stdout).trim()}`,
    );
  }
  return r.stdout;
}

export interface VethSpec {
  a: { container: string; pid: number; iface: string };
  b: { container: string; pid: number; iface: string };
  mtu: number;
}

/**
 * A veth pair straight between two containers' namespaces. Creating it needs
 * both namespaces at once, which only a short-lived helper in the host's PID
 * namespace has (env: `ip ... netns PID` alone is refused there; nsenter works).
 */
export async function createVeth(v: VethSpec, helperImage: string): Promise<void> {
  const script = [
    `nsenter -t ${v.a.pid} -n ip link add ${v.a.iface} mtu ${v.mtu} type veth peer name ${v.b.iface} mtu ${v.mtu} netns ${v.b.pid}`,
    `nsenter -t ${v.a.pid} -n ip link set ${v.a.iface} up`,
    `nsenter -t ${v.b.pid} -n ip link set ${v.b.iface} up`,
  ].join(" && ");
  await runHelper(
    helperImage,
    script,
    `link ${v.a.container}:${v.a.iface} <-> ${v.b.container}:${v.b.iface}`,
  );
}

async function runHelper(image: string, script: string, what: string): Promise<void> {
  const engine = docker();
  const c = await engine.createContainer({
    Image: image,
    Cmd: ["sh", "-ec", script],
    Labels: { "vxlan-lab.helper": "link" },
    HostConfig: {
      PidMode: "host",
      NetworkMode: "none",
      CapAdd: ["NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE"],
      AutoRemove: false,
    },
  });
  try {
    const logs = await c.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    let output = "";
    out.on("data", (d: Buffer) => (output += d.toString("utf8")));
    engine.modem.demuxStream(logs, out, out);
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    if (StatusCode !== 0) throw new Error(`${what}: helper exited with ${StatusCode}: ${output.trim()}`);
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

/** Interface names present in a container, read as JSON. */
export async function interfaces(
  container: string,
): Promise<{ ifname: string; mtu: number; operstate: string }[]> {
  const r = await exec(container, ["ip", "-j", "link", "show"]);
  if (r.code !== 0) throw new Error(`ip -j link show in ${container}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as { ifname: string; mtu: number; operstate: string }[];
}

/** Deleting one end removes the pair; an absent container or interface counts as deleted. */
export async function deleteVeth(container: string, iface: string): Promise<void> {
  if (!(await inspectContainer(container))) return;
  if (!(await interfaces(container)).some((i) => i.ifname === iface)) return;
  const r = await exec(container, ["ip", "link", "del", iface]);
  if (r.code !== 0) throw new Error(`ip link del ${iface} in ${container}: ${r.stderr.trim()}`);
}
