// Miss notifications from `ip [-ts] monitor neigh`. The monitor has no JSON
// output (`-j` is ignored), so this reads its text. It also prints FDB and
// neighbour changes of every device (our own installs included): only lines
// that start with "miss " and name our device are misses.
//   L2: [2026-11-24T08:02:55.841574] miss dev vxlan100 lladdr 02:00:00:00:00:98 STALE
//   L3: miss 2001:db8:ff::99 dev vxlan100 STALE

import { parseIpv6, parseMac } from "./addr";

export type MissEvent = { kind: "l2"; mac: string } | { kind: "l3"; ip: string };

export function parseMissLine(line: string, device: string): MissEvent | undefined {
  // strip "[timestamp]" and "[NEIGH]" prefixes (-ts, monitor all)
  const text = line.trim().replace(/^(\[[^\]]*\]\s*)+/, "");
  if (!text.startsWith("miss ")) return undefined;
  const tok = text.split(/\s+/);
  const dev = tok.indexOf("dev");
  if (dev < 0 || tok[dev + 1] !== device) return undefined;
  if (dev === 1) {
    const ll = tok.indexOf("lladdr");
    const mac = ll > 0 ? parseMac(tok[ll + 1] ?? "") : undefined;
    return mac ? { kind: "l2", mac } : undefined;
  }
  // an IPv4 L3 miss has no place in this IPv6 overlay
  const ip = dev === 2 ? parseIpv6(tok[1] ?? "") : undefined;
  return ip ? { kind: "l3", ip } : undefined;
}
