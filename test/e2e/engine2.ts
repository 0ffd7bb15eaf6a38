/**
 * A second Docker engine on this machine, as another machine would be: its
 * own socket, data root and containerd namespace, and its own network
 * namespace joined to this host by a veth with IPv6 addresses (the "network
 * between engine hosts", MTU 1500 like plain Ethernet), served on a socket
 * and, like a remote engine, over TCP with TLS (a test CA made here). dockerd is started
 * with `nsenter --net=/run/netns/...`: `ip netns exec` remounts /sys, and
 * dockerd then fails with "Devices cgroup isn't mounted".
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { docker, type EngineAccess } from "../../src/docker/client";
import { copyImage } from "../../src/docker/images";
import { runOk, which } from "../../src/util/process";

export const ENGINE2 = {
  socket: "/run/vxlan-lab-engine2.sock",
  dataRoot: "/var/lib/vxlan-lab-engine2",
  execRoot: "/run/vxlan-lab-engine2",
  pidfile: "/run/vxlan-lab-engine2.pid",
  log: "/var/log/vxlan-lab-engine2.log",
  netns: "vxlab-e2",
  /** This host's end of the veth to the second engine's namespace, and its address. */
  hostIface: "vxlab-e2",
  hostAddress: "fd00:e2::1",
  /** The second engine host's address. */
  address: "fd00:e2::2",
  mtu: 1500,
  /** Also served over TCP with TLS on its own address: the endpoint a remote engine has. */
  tcpPort: 2376,
  certs: "/run/vxlan-lab-engine2-certs",
  /** And over SSH, as `docker -H ssh://` reaches an engine: sshd in its namespace, a key in an agent. */
  ssh: { dir: "/run/vxlan-lab-engine2-ssh", port: 2222 },
};

export const engine2Host = `unix://${ENGINE2.socket}`;
export const engine2Access: EngineAccess = { endpoint: engine2Host };
export const engine2 = () => docker(engine2Access);
/** The same engine as a remote one is reached: TCP with TLS, client certificates in this directory. */
export const engine2Tls: EngineAccess = {
  endpoint: `tcp://[${ENGINE2.address}]:${ENGINE2.tcpPort}`,
  tls: join(ENGINE2.certs, "client"),
};

/** The same engine over SSH (sshd in its namespace; the key in an ssh agent at this socket). */
export const engine2Ssh: EngineAccess = { endpoint: `ssh://root@[${ENGINE2.address}]:${ENGINE2.ssh.port}` };
export const engine2Agent = join(ENGINE2.ssh.dir, "agent.sock");

/**
 * The stack config that puts a lab over this host's engine and the second
 * one, reached over TCP with TLS: its address for the tunnels comes from the
 * endpoint's host.
 */
export const twoEngines = {
  a: { endpoint: "unix:///var/run/docker.sock", address: ENGINE2.hostAddress, mtu: ENGINE2.mtu },
  b: { endpoint: engine2Tls.endpoint, tls: engine2Tls.tls ?? "", mtu: ENGINE2.mtu },
};

/** A CA, the engine's server certificate for its address, and a client certificate: made once. */
async function ensureCerts(): Promise<void> {
  const d = ENGINE2.certs;
  if (existsSync(join(d, "client", "key.pem"))) return;
  mkdirSync(join(d, "client"), { recursive: true });
  const ssl = (args: string[]) => runOk("openssl", args, { cwd: d });
  await ssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "30",
    "-subj",
    "/CN=vxlan-lab test CA",
    "-keyout",
    "ca-key.pem",
    "-out",
    "ca.pem",
  ]);
  writeFileSync(join(d, "server.ext"), `subjectAltName=IP:${ENGINE2.address}\nextendedKeyUsage=serverAuth\n`);
  writeFileSync(join(d, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    await ssl([
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${who}`,
      "-keyout",
      `${who}-key.pem`,
      "-out",
      `${who}.csr`,
    ]);
    await ssl([
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca-key.pem",
      "-CAcreateserial",
      "-days",
      "30",
      "-extfile",
      `${who}.ext`,
      "-out",
      `${who}-cert.pem`,
    ]);
  }
  copyFileSync(join(d, "ca.pem"), join(d, "client", "ca.pem"));
  copyFileSync(join(d, "client-cert.pem"), join(d, "client", "cert.pem"));
  copyFileSync(join(d, "client-key.pem"), join(d, "client", "key.pem"));
}

/**
 * sshd in the second engine's namespace, whose sessions' docker CLI talks to
 * that engine (SetEnv DOCKER_HOST), and an ssh agent holding the client key:
 * the engine client dials `docker system dial-stdio` over SSH, as the docker
 * CLI does. Returns a stop function for what it started.
 */
export async function startSsh(): Promise<() => Promise<void>> {
  const d = ENGINE2.ssh.dir;
  const sshd = which("sshd", `${process.env.PATH ?? ""}:/usr/sbin:/sbin`);
  if (!sshd) throw new Error("sshd is not installed: `scripts/lab test` installs openssh-server");
  mkdirSync(d, { recursive: true, mode: 0o700 });
  for (const [key, type] of [
    ["host_key", "ed25519"],
    ["client_key", "ed25519"],
  ] as const) {
    if (!existsSync(join(d, key)))
      await runOk("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", join(d, key)]);
  }
  copyFileSync(join(d, "client_key.pub"), join(d, "authorized_keys"));
  writeFileSync(
    join(d, "sshd_config"),
    [
      `ListenAddress [${ENGINE2.address}]:${ENGINE2.ssh.port}`,
      `HostKey ${join(d, "host_key")}`,
      `AuthorizedKeysFile ${join(d, "authorized_keys")}`,
      "PermitRootLogin prohibit-password",
      "PasswordAuthentication no",
      "UsePAM no",
      "StrictModes no",
      `PidFile ${join(d, "sshd.pid")}`,
      `SetEnv DOCKER_HOST=unix://${ENGINE2.socket}`,
      "",
    ].join("\n"),
  );
  // sshd refuses to start without its privilege-separation directory.
  mkdirSync("/run/sshd", { recursive: true });
  await runOk("nsenter", [`--net=/run/netns/${ENGINE2.netns}`, sshd, "-f", join(d, "sshd_config")]);
  rmSync(engine2Agent, { force: true });
  const agent = await runOk("ssh-agent", ["-a", engine2Agent]);
  const agentPid = /SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1];
  await runOk("ssh-add", ["-q", join(d, "client_key")], {
    env: { ...process.env, SSH_AUTH_SOCK: engine2Agent },
  });
  return async () => {
    for (const pidfile of [join(d, "sshd.pid")]) {
      if (existsSync(pidfile)) process.kill(Number(readFileSync(pidfile, "utf8").trim()), "SIGTERM");
    }
    if (agentPid) process.kill(Number(agentPid), "SIGTERM");
  };
}

/** Both ways in answer: the socket, and TCP with TLS. */
const answers = async () => {
  const ping = (a: EngineAccess) =>
    docker(a, 3000)
      .ping()
      .then(
        () => true,
        () => false,
      );
  return (await ping(engine2Access)) && (await ping(engine2Tls));
};

/** The second engine host's network namespace and its veth to this host; made once. */
async function ensureNetns(): Promise<void> {
  if (existsSync(`/run/netns/${ENGINE2.netns}`)) return;
  const e = ENGINE2;
  await runOk("ip", ["netns", "add", e.netns]);
  await runOk("ip", [
    "link",
    "add",
    e.hostIface,
    "mtu",
    String(e.mtu),
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    e.netns,
  ]);
  await runOk("ip", ["addr", "add", `${e.hostAddress}/64`, "dev", e.hostIface, "nodad"]);
  await runOk("ip", ["link", "set", e.hostIface, "up"]);
  await runOk("ip", ["-n", e.netns, "addr", "add", `${e.address}/64`, "dev", "eth0", "nodad"]);
  await runOk("ip", ["-n", e.netns, "link", "set", "eth0", "up"]);
  await runOk("ip", ["-n", e.netns, "link", "set", "lo", "up"]);
}

/** Starts the second engine unless it answers already; returns a stop function for what it started. */
export async function startEngine2(): Promise<() => Promise<void>> {
  await ensureNetns();
  await ensureCerts();
  if (await answers()) return async () => undefined;
  const dockerd = which("dockerd", `${process.env.PATH ?? ""}:/usr/sbin:/sbin`);
  if (!dockerd) throw new Error("dockerd is not installed: `scripts/lab bootstrap` installs it");
  mkdirSync(ENGINE2.dataRoot, { recursive: true });
  const fd = openSync(ENGINE2.log, "a");
  const child = execa(
    "nsenter",
    [
      `--net=/run/netns/${ENGINE2.netns}`,
      dockerd,
      `--host=unix://${ENGINE2.socket}`,
      `--host=tcp://[${ENGINE2.address}]:${ENGINE2.tcpPort}`,
      "--tlsverify",
      `--tlscacert=${join(ENGINE2.certs, "ca.pem")}`,
      `--tlscert=${join(ENGINE2.certs, "server-cert.pem")}`,
      `--tlskey=${join(ENGINE2.certs, "server-key.pem")}`,
      `--data-root=${ENGINE2.dataRoot}`,
      `--exec-root=${ENGINE2.execRoot}`,
      `--pidfile=${ENGINE2.pidfile}`,
      // Its own containerd namespace; no bridge, no iptables: the lab uses neither.
      "--containerd-namespace=vxlan-lab-engine2",
      "--containerd-plugins-namespace=vxlan-lab-engine2-plugins",
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
    ],
    { detached: true, cleanup: false, reject: false, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  child.unref();
  for (let i = 0; i < 120; i++) {
    if (await answers()) {
      return async () => {
        process.kill(child.pid ?? 0, "SIGTERM");
        for (let j = 0; j < 100 && (await answers()); j++) await sleep(100);
      };
    }
    if (child.exitCode !== null) break;
    await sleep(250);
  }
  const tail = readFileSync(ENGINE2.log, "utf8").trim().split("\n").slice(-10).join("\n");
  throw new Error(`the second dockerd did not answer on ${ENGINE2.socket}; its log ends with:\n${tail}`);
}

/** Copies images from the default engine to the second one, unless it has them (tags are content hashes). */
export async function copyImages(refs: readonly string[]): Promise<void> {
  for (const ref of refs) await copyImage(ref, engine2Access);
}
