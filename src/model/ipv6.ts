// IPv6 for the topology model, over ip-address (the agent uses it too). ip-address
// rather than ipaddr.js: it has 128-bit values as bigint and subnet arithmetic
// built in, and it reads an embedded IPv4 tail right (ipaddr.js 2.5 turns
// ::1.2.3.4 into ::ffff:1.2.3.4). What is ours: addresses as bigints (map keys
// for duplicate checks), and our error messages.
import { Address6 } from "ip-address";

const ALL_ONES = (1n << 128n) - 1n;

function invalid(text: string, why: string): Error {
  return new Error(`invalid IPv6 address "${text}": ${why}`);
}

/** The library's reading of a bare address (no length, no zone); throws our error otherwise. */
function address(text: string): Address6 {
  if (text.includes("/")) throw invalid(text, "a prefix length is not allowed here");
  if (text.includes("%")) throw invalid(text, "a zone is not allowed here");
  try {
    return new Address6(text);
  } catch (e) {
    throw invalid(text, e instanceof Error ? e.message : String(e));
  }
}

/** Parses an IPv6 address (no prefix length, no zone) into a bigint. Throws on bad input. */
export function parseIPv6(text: string): bigint {
  return address(text).bigInt();
}

/** Formats a 128-bit value the RFC 5952 way: lower case, longest zero run (2+ groups) as "::". */
export function formatIPv6(value: bigint): string {
  if (value < 0n || value > ALL_ONES) throw new Error(`value out of IPv6 range: ${value}`);
  return Address6.fromBigInt(value).correctForm();
}

/** Parses "addr/len". Throws on bad input. */
export function parseCidr(text: string): { address: bigint; length: number } {
  const slash = text.indexOf("/");
  if (slash < 0) throw new Error(`invalid IPv6 prefix "${text}": missing /length`);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > 128) {
    throw new Error(`invalid IPv6 prefix "${text}": length must be 0 to 128`);
  }
  return { address: parseIPv6(text.slice(0, slash)), length: Number(lenText) };
}

/** Drops a "/len" suffix if present. */
export function stripLength(text: string): string {
  const slash = text.indexOf("/");
  return slash < 0 ? text : text.slice(0, slash);
}

/** Accepts "addr" or "addr/len" and returns the address as a bigint. */
export function addressValue(text: string): bigint {
  return parseIPv6(stripLength(text));
}

/** The network of "addr/len", canonical: prefixOf("2001:db8:ffff:1::2/64") is "2001:db8:ffff:1::/64". */
export function prefixOf(cidr: string): string {
  const { length } = parseCidr(cidr);
  return `${new Address6(cidr).startAddress().correctForm()}/${length}`;
}

/** True when the address (bare or with "/len", which is ignored) lies inside prefix "net/len". */
export function inPrefix(value: string | bigint, prefix: string): boolean {
  parseCidr(prefix);
  const a = Address6.fromBigInt(typeof value === "bigint" ? value : addressValue(value));
  return a.isInSubnet(new Address6(prefix));
}

/** Canonical spelling of an address, keeping any "/len" suffix. */
export function normalize(text: string): string {
  const slash = text.indexOf("/");
  if (slash < 0) return formatIPv6(parseIPv6(text));
  const { address: value, length } = parseCidr(text);
  return `${formatIPv6(value)}/${length}`;
}
