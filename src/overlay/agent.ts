/**
 * What the dynamic variants run around the agent: its config, a restart that
 * picks the config up, a wait until it serves; and the host's announcement
 * that lets its VTEP learn it. Pure.
 */
import type { z } from "zod";
import type { AgentConfigSchema, AgentMode } from "../agent/config";
import { getNode, type OverlayHost, type Topology } from "../model";
import { writeFile } from "../underlay/commands";
import { bareAddress, vtepBase, type VxlanOptions } from "./commands";
import { merge, perVtep } from "./variant";

export type { AgentMode };

export const AGENT_FILES = {
  config: "/etc/vxlan-agent/config.json",
  status: "/run/vxlan-agent/status.json",
  script: "/opt/vxlan-agent/agent.js",
} as const;

/** What the agent of one VTEP is told; it learns everything else from the kernel and the registry. */
export function agentConfig(t: Topology, vtep: string, mode: AgentMode): z.input<typeof AgentConfigSchema> {
  const r = t.registry;
  if (!r) throw new Error(`variant ${t.variant} has no registry, so no agent`);
  const v = getNode(t, vtep);
  return {
    vtep: v.loopback ?? "",
    vni: t.vxlan.vni,
    device: t.vxlan.device,
    bridge: t.vxlan.bridge,
    registry: r.url,
    mode,
    // A vanished VTEP's hosts are gone from the registry within this many seconds.
    leaseTtl: 10,
    pollMs: 1000,
    statusFile: AGENT_FILES.status,
    prefix: r.keyPrefix,
  };
}

/** Writes the config, restarts the agent under its supervisor, and waits until it reports in. */
export function agentCommands(t: Topology, vtep: string, mode: AgentMode): string[] {
  return [
    `mkdir -p ${dirOf(AGENT_FILES.config)} ${dirOf(AGENT_FILES.status)}`,
    writeFile(AGENT_FILES.config, `${JSON.stringify(agentConfig(t, vtep, mode), null, 2)}\n`),
    // The supervisor starts it again a second after it exits, with the new
    // config; the old status goes once the old agent is gone, so the wait
    // below sees the new agent's. (Anchored: this shell's own command line
    // holds the path too.)
    `pkill -f "^node ${AGENT_FILES.script}" || true`,
    `i=0; while pgrep -f "^node ${AGENT_FILES.script}" >/dev/null && [ $i -lt 50 ]; do i=$((i+1)); sleep 0.1; done`,
    `rm -f ${AGENT_FILES.status}`,
    `i=0; until [ -s ${AGENT_FILES.status} ]; do i=$((i+1)); ` +
      `if [ $i -ge 300 ]; then echo "agent of ${vtep} did not report within 30 s" >&2; exit 1; fi; sleep 0.1; done`,
  ];
}

/**
 * A host that comes up announces itself, as DAD or an unsolicited NA would:
 * one packet from its address, which its VTEP's agent learns and publishes.
 */
export function hostAnnounce(h: OverlayHost): string[] {
  return [`ping -6 -c1 -W1 -I ${bareAddress(h)} ff02::1%eth0 >/dev/null || true`];
}

const dirOf = (p: string) => p.slice(0, p.lastIndexOf("/"));

/** A dynamic variant's commands: each VTEP's devices, then its agent, then every host announcing itself. */
export function dynamicCommands(
  t: Topology,
  flags: VxlanOptions["flags"],
  mode: AgentMode,
): Record<string, string[]> {
  const agents = t.registry?.agents ?? {};
  return merge(
    perVtep(t, (v) => vtepBase(t, v, { flags })),
    ...Object.entries(agents).map(([vtep, agent]) => ({ [agent]: agentCommands(t, vtep, mode) })),
    ...t.hosts.map((h) => ({ [h.name]: hostAnnounce(h) })),
  );
}
