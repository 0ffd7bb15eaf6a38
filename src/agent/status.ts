// The status file other tools (checks, people) read: a snapshot, replaced
// atomically so a reader never sees half of one.

import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { PerKind } from "./state";

export interface AgentStatus {
  pid: number;
  startedAt: string;
  vtep: string;
  vni: number;
  mode: string;
  registry: "up" | "down";
  /** lease ID (decimal string) or null while we have none */
  lease: string | null;
  /** remote entries known from the registry */
  view: { macs: number; ips: number };
  /** our hosts, learned from the kernel */
  local: { macs: number; ips: number; published: number };
  misses: PerKind;
  resolved: PerKind;
  unknown: PerKind;
  /** misses for our own hosts: not unknown, nothing to install */
  localMisses: PerKind;
  installed: { fdb: number; neigh: number; multicast: number };
  channelErrors: number;
  channelRestarts: number;
  registryErrors: number;
  invalidEntries: number;
  rssBytes: number;
  lastEvent: string | null;
}

export async function writeStatus(path: string, status: AgentStatus): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(tmp, JSON.stringify(status) + "\n");
  await rename(tmp, path);
}
