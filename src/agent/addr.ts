// MAC and IPv6 parsing. Every address that reaches a batch line or a map key
// goes through here first: a malformed token can kill `ip -batch` even with
// -force, and two spellings of one address must not become two keys.
// IPv6 is read by ip-address, as in the model (src/model/ipv6.ts says why that one).
import { Address6 } from "ip-address";

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

/** A bare IPv6 address (no prefix length, no zone), or undefined. */
function address(s: string): Address6 | undefined {
  const t = s.trim();
  if (t.includes("/") || t.includes("%") || !Address6.isValid(t)) return undefined;
  return new Address6(t);
}

/** The 33:33:ff:xx:xx:xx MAC that ND for `ip` is sent to (RFC 4291 + RFC 2464): its low 24 bits. */
export function solicitedNodeMac(ip: string): string {
  const a = address(ip);
  if (!a) throw new Error(`not an IPv6 address: ${ip}`);
  const low = a.bigInt() & 0xffffffn;
  const hex = (n: bigint) => n.toString(16).padStart(2, "0");
  return `33:33:ff:${hex(low >> 16n)}:${hex((low >> 8n) & 0xffn)}:${hex(low & 0xffn)}`;
}

export function isSolicitedNodeMac(mac: string): boolean {
  return mac.startsWith("33:33:ff:");
}

/**
 * Canonical IPv6 text as the kernel tools print it (RFC 5952: lower case, the
 * longest run of two or more zero groups as "::", the first one on a tie), or
 * undefined if `s` is not an IPv6 address. No prefix length, no zone.
 */
export function parseIpv6(s: string): string | undefined {
  return address(s)?.correctForm();
}

/** Global unicast as far as publishing goes: not ::, loopback, link-local or multicast. */
export function isPublishableIpv6(ip: string): boolean {
  const a = address(ip);
  if (!a) return false;
  const v = a.bigInt();
  if (v <= 1n) return false; // :: and ::1
  return !a.isLinkLocal() && !a.isMulticast();
}
