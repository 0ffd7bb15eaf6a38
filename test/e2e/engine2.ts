/**
 * A second Docker engine on this machine, on its own socket, data root and
 * containerd namespace: what `DOCKER_HOST` pointing at another engine looks
 * like to the lab, without a second machine. Images reach it by the engine
 * API's save and load (no registry), once.
 */
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import type Dockerode from "dockerode";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { which } from "../../src/util/process";

export const ENGINE2 = {
  socket: "/run/vxlan-lab-engine2.sock",
  dataRoot: "/var/lib/vxlan-lab-engine2",
  execRoot: "/run/vxlan-lab-engine2",
  pidfile: "/run/vxlan-lab-engine2.pid",
  log: "/var/log/vxlan-lab-engine2.log",
};

export const engine2Host = `unix://${ENGINE2.socket}`;

function client(socketPath?: string): Dockerode {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Docker = require("dockerode") as typeof Dockerode;
  return new Docker(socketPath ? { socketPath, timeout: 120_000 } : { timeout: 120_000 });
}

const answers = (d: Dockerode) =>
  d.ping().then(
    () => true,
    () => false,
  );

/** Starts the second engine unless it answers already; returns a stop function for what it started. */
export async function startEngine2(): Promise<() => Promise<void>> {
  const d = client(ENGINE2.socket);
  if (await answers(d)) return async () => undefined;
  const dockerd = which("dockerd", `${process.env.PATH ?? ""}:/usr/sbin:/sbin`);
  if (!dockerd) throw new Error("dockerd is not installed: `scripts/lab bootstrap` installs it");
  mkdirSync(ENGINE2.dataRoot, { recursive: true });
  const fd = openSync(ENGINE2.log, "a");
  const child = execa(
    dockerd,
    [
      `--host=unix://${ENGINE2.socket}`,
      `--data-root=${ENGINE2.dataRoot}`,
      `--exec-root=${ENGINE2.execRoot}`,
      `--pidfile=${ENGINE2.pidfile}`,
      // Its own containerd namespace; no bridge, no iptables: the lab uses neither.
      "--containerd-namespace=vxlan-lab-engine2",
      "--containerd-plugins-namespace=vxlan-lab-engine2-plugins",
      "--bridge=none",
      "--iptables=false",
    ],
    { detached: true, cleanup: false, reject: false, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  child.unref();
  for (let i = 0; i < 120; i++) {
    if (await answers(d)) {
      return async () => {
        process.kill(child.pid ?? 0, "SIGTERM");
        for (let j = 0; j < 100 && (await answers(d)); j++) await sleep(100);
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
  const from = client();
  const to = client(ENGINE2.socket);
  for (const ref of refs) {
    const have = await to
      .getImage(ref)
      .inspect()
      .then(
        () => true,
        () => false,
      );
    if (have) continue;
    const tar = await from.getImage(ref).get();
    const loading = await to.loadImage(tar);
    await new Promise<void>((resolve, reject) => {
      to.modem.followProgress(loading, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}

export const engine2 = () => client(ENGINE2.socket);
