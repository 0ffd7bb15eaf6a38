// The status file other tools (checks, people) read: a snapshot, replaced
// atomically so a reader never sees half of one.

import { mkdir, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";

const count = z.number().int().nonnegative();
const perKind = z.object({ l2: count, l3: count });

/** The status file: the agent writes it, the checks and the bench read it back through this. */
export const AgentStatusSchema = z.object({
  pid: z.number().int().positive(),
  startedAt: z.string(),
  vtep: z.string(),
  vni: z.number().int(),
  mode: z.string(),
  registry: z.enum(["up", "down"]),
  /** lease ID (decimal string) or null while we have none */
  lease: z.string().nullable(),
  /** remote entries known from the registry */
  view: z.object({ macs: count, ips: count }),
  /** our hosts, learned from the kernel */
  local: z.object({ macs: count, ips: count, published: count }),
  misses: perKind,
  resolved: perKind,
  unknown: perKind,
  /** misses for our own hosts: not unknown, nothing to install */
  localMisses: perKind,
  installed: z.object({ fdb: count, neigh: count, multicast: count }),
  channelErrors: count,
  channelRestarts: count,
  registryErrors: count,
  invalidEntries: count,
  rssBytes: count,
  lastEvent: z.string().nullable(),
});
export type AgentStatus = z.output<typeof AgentStatusSchema>;

export async function writeStatus(path: string, status: AgentStatus): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await mkdir(dirname(path), { recursive: true });
  await writeFile(tmp, JSON.stringify(status) + "\n");
  await rename(tmp, path);
}
