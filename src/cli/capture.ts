/**
 * `scripts/lab capture`: tcpdump inside a node, packets streamed out as pcap
 * (to a file, or stdout for `| wireshark -k -i -`), Ctrl-C stopping it in the node.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { Target } from "../docker/client";
import { exec } from "../docker/exec";
import { openSession } from "../docker/session";
import { attach, nodeContainer } from "./exec";
import { UsageError } from "./errors";

export interface CaptureOptions {
  /** pcap file to write; without it, stdout. */
  write?: string;
  /** Stop after this many packets. */
  count?: number;
  /** A pcap filter expression, e.g. ["udp", "port", "4789"]. */
  filter: string[];
}

/** The node's interfaces, asked of its kernel: bridges and VXLAN devices are not in the model. */
async function interfaces(container: Target): Promise<string[]> {
  const r = await exec(container, ["ip", "-j", "link", "show"]);
  if (r.code !== 0) throw new Error(`ip -j link show: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname);
}

/** tcpdump's arguments: pcap out, or decoded lines (-l: one line as soon as it is decoded). */
export function tcpdumpArgs(iface: string, o: { pcap: boolean; count?: number; filter: string[] }): string[] {
  return [
    "tcpdump",
    "-i",
    iface,
    "-nn",
    ...(o.pcap ? ["-U", "-w", "-"] : ["-l"]),
    ...(o.count !== undefined ? ["-c", String(o.count)] : []),
    ...o.filter,
  ];
}

export async function runCapture(
  stack: string,
  nodeName: string,
  iface: string,
  o: CaptureOptions,
): Promise<number> {
  const { node, container } = await nodeContainer(stack, nodeName);
  const ifaces = await interfaces(container);
  if (!ifaces.includes(iface)) {
    throw new UsageError(`${node} has no interface "${iface}"; its interfaces are ${ifaces.join(", ")}`);
  }
  // pcap bytes on a terminal are noise: there, show tcpdump's decoded lines instead, as tcpdump itself does.
  const pcap = o.write !== undefined || process.stdout.isTTY !== true;
  let out: Writable = process.stdout;
  let file: Writable | undefined;
  if (o.write !== undefined) {
    file = createWriteStream(o.write);
    await new Promise<void>((resolve, reject) => {
      file?.once("open", () => resolve());
      file?.once("error", reject);
    });
    out = file;
  }
  const session = await openSession(
    container,
    tcpdumpArgs(iface, { pcap, count: o.count, filter: o.filter }),
    {
      stdout: out,
      // tcpdump's "listening on ..." and its packet counts at the end.
      stderr: process.stderr,
    },
  );
  const code = await attach(session, false);
  if (file) await new Promise<void>((resolve) => file.end(resolve));
  // tcpdump stopped by SIGINT exits 0 after writing its counts: that is a normal end of a capture.
  return code;
}
