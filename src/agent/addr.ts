// MAC and IPv6 parsing. Every address that reaches a batch line or a map key
// goes through here first: a malformed token can kill `ip -batch` even with
// -force, and two spellings of one address must not become two keys.

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** Lower-case MAC, or undefined if `s` is not six colon-separated octets. */
export function parseMac(s: string): string | undefined {
  const m = s.trim().toLowerCase();
  return MAC_RE.test(m) ? m : undefined;
}

/** A host MAC: group bit clear and not all zeros. */
export function isUnicastMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== "00:00:00:00:00:00";
}

/** The 33:33:ff:xx:xx:xx MAC that ND for `ip` is sent to (RFC 4291 + RFC 2464). */
export function solicitedNodeMac(ip: string): string {
  const g = parseIpv6Groups(ip);
  if (!g) throw new Error(`not an IPv6 address: ${ip}`);
  const [g6 = 0, g7 = 0] = g.slice(6);
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `33:33:ff:${hex(g6 & 0xff)}:${hex(g7 >> 8)}:${hex(g7 & 0xff)}`;
}

export function isSolicitedNodeMac(mac: string): boolean {
  return mac.startsWith("33:33:ff:");
}

const HEXTET_RE = /^[0-9a-f]{1,4}$/;

/** The eight 16-bit groups of an IPv6 address, or undefined. */
function parseIpv6Groups(s: string): number[] | undefined {
  if (s.length > 45 || s.includes("%")) return undefined;
  let text = s.toLowerCase();
  const tail: number[] = [];
  // a dotted-quad tail (::ffff:192.0.2.1) counts as two groups
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [, lead = "", ...quad] = v4;
    const o = quad.map(Number);
    if (o.length !== 4 || o.some((x) => x > 255)) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = o;
    tail.push((a << 8) | b, (c << 8) | d);
    text = lead.endsWith("::") ? lead : lead.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const [left = "", right] = halves;
  const part = (h: string | undefined) => (h === undefined || h === "" ? [] : h.split(":"));
  const head = part(left);
  const rest = part(right);
  if (![...head, ...rest].every((g) => HEXTET_RE.test(g))) return undefined;
  const hv = head.map((g) => parseInt(g, 16));
  const rv = rest.map((g) => parseInt(g, 16));
  const want = 8 - tail.length;
  if (right === undefined) return hv.length === want ? [...hv, ...tail] : undefined;
  const missing = want - hv.length - rv.length;
  if (missing < 1) return undefined;
  return [...hv, ...new Array<number>(missing).fill(0), ...rv, ...tail];
}

/**
 * Canonical IPv6 text as the kernel tools print it (RFC 5952: lower case, the
 * longest run of two or more zero groups as "::", the first one on a tie), or
 * undefined if `s` is not an IPv6 address. No prefix length, no zone.
 */
export function parseIpv6(s: string): string | undefined {
  const g = parseIpv6Groups(s.trim());
  if (!g) return undefined;
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Global unicast as far as publishing goes: not ::, loopback, link-local or multicast. */
export function isPublishableIpv6(ip: string): boolean {
  const g = parseIpv6Groups(ip);
  if (!g) return false;
  const [first = 0, last = 0] = [g[0], g[7]];
  if (g.slice(0, 7).every((x) => x === 0) && last <= 1) return false; // :: and ::1
  if ((first & 0xffc0) === 0xfe80) return false;
  return (first & 0xff00) !== 0xff00;
}
