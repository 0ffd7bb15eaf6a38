/**
 * The engine host's kernel, as the wiring helper sees it (host PID namespace).
 * The engine's own process stands for the host: PID 1 may refuse even root
 * (it does on this project's VMs), while dockerd runs in the namespaces whose
 * settings the lab's containers share.
 */
import type { ContainerRef } from "./client";
import { runScript } from "./exec";

/**
 * The IPv6 neighbour table's garbage-collection thresholds are one table for
 * the whole machine: entries in every container's namespace count against
 * them, and only the host's initial namespace may change them.
 */
export const NEIGH_KEYS = ["gc_thresh1", "gc_thresh2", "gc_thresh3"] as const;
export type NeighLimits = Record<(typeof NEIGH_KEYS)[number], number>;

const path = (k: string) => `/proc/sys/net/ipv6/neigh/default/${k}`;
// The helper's own /proc/sys is read-only; the host's mount and network namespaces are not.
const onHost = (cmd: string) =>
  `host=$(pgrep -o -x dockerd || echo 1)\nnsenter -t "$host" -m -n sh -c '${cmd}'`;

export async function readNeighLimits(helper: ContainerRef): Promise<NeighLimits> {
  const out = await runScript(helper, onHost(NEIGH_KEYS.map((k) => `cat ${path(k)}`).join("; ")));
  const v = out.trim().split(/\s+/).map(Number);
  if (v.length !== 3 || v.some((n) => !Number.isInteger(n))) {
    throw new Error(`reading the host's neighbour table limits gave ${JSON.stringify(out)}`);
  }
  return { gc_thresh1: v[0] ?? 0, gc_thresh2: v[1] ?? 0, gc_thresh3: v[2] ?? 0 };
}

export async function writeNeighLimits(helper: ContainerRef, l: NeighLimits): Promise<void> {
  // Highest first: the kernel wants thresh1 <= thresh2 <= thresh3 at every step.
  const keys = [...NEIGH_KEYS].reverse();
  await runScript(helper, onHost(keys.map((k) => `echo ${Math.floor(l[k])} > ${path(k)}`).join("; ")));
}

/** Pure: the limits a lab needing `entries` neighbour entries should have; never lower than now. */
export function neighLimitsFor(entries: number, now: NeighLimits): NeighLimits {
  const pow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));
  return {
    gc_thresh1: Math.max(now.gc_thresh1, pow2(entries / 2)),
    gc_thresh2: Math.max(now.gc_thresh2, pow2(entries)),
    gc_thresh3: Math.max(now.gc_thresh3, pow2(2 * entries)),
  };
}
