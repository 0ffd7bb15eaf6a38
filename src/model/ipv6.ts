// Minimal IPv6 arithmetic for the topology model: addresses as 128-bit bigints.
// Kept in-house so the model has no runtime dependencies.

const BITS = 128n;
const ALL_ONES = (1n << BITS) - 1n;
const GROUP = /^[0-9a-fA-F]{1,4}$/;
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function invalid(text: string, why: string): Error {
  return new Error(`invalid IPv6 address "${text}": ${why}`);
}

/** Parses an IPv6 address (no prefix length, no zone) into a bigint. Throws on bad input. */
export function parseIPv6(text: string): bigint {
  const halves = text.split("::");
  if (halves.length > 2) throw invalid(text, '"::" may appear only once');
  const split = (s: string): string[] => (s === "" ? [] : s.split(":"));
  const head = split(halves[0] ?? "");
  const tail = halves.length === 2 ? split(halves[1] ?? "") : [];

  // An embedded IPv4 tail (::ffff:192.0.2.1) stands for two groups.
  const last = halves.length === 2 ? tail : head;
  const lastGroup = last[last.length - 1];
  if (lastGroup !== undefined && lastGroup.includes(".")) {
    const m = DOTTED_QUAD.exec(lastGroup);
    const octets = m ? m.slice(1).map(Number) : [];
    if (octets.length !== 4 || octets.some((o) => o > 255)) throw invalid(text, "bad IPv4 tail");
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    last.splice(last.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }

  for (const g of [...head, ...tail]) {
    if (!GROUP.test(g)) throw invalid(text, `bad group "${g}"`);
  }
  const count = head.length + tail.length;
  if (halves.length === 1 && count !== 8) throw invalid(text, `expected 8 groups, got ${count}`);
  // "::" must replace at least one group.
  if (halves.length === 2 && count > 7) throw invalid(text, "too many groups around ::");

  const groups = [...head, ...Array<string>(8 - count).fill("0"), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Formats a 128-bit value the RFC 5952 way: lower case, longest zero run (2+ groups) as "::". */
export function formatIPv6(value: bigint): string {
  if (value < 0n || value > ALL_ONES) throw new Error(`value out of IPv6 range: ${value}`);
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));

  let bestStart = -1;
  let bestLen = 1; // a single zero group is never shortened
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }

  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
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

function mask(length: number): bigint {
  return length === 0 ? 0n : (ALL_ONES << (BITS - BigInt(length))) & ALL_ONES;
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
  const { address, length } = parseCidr(cidr);
  return `${formatIPv6(address & mask(length))}/${length}`;
}

/** True when the address (bare or with "/len", which is ignored) lies inside prefix "net/len". */
export function inPrefix(address: string | bigint, prefix: string): boolean {
  const value = typeof address === "bigint" ? address : addressValue(address);
  const net = parseCidr(prefix);
  const m = mask(net.length);
  return (value & m) === (net.address & m);
}

/** Canonical spelling of an address, keeping any "/len" suffix. */
export function normalize(text: string): string {
  const slash = text.indexOf("/");
  if (slash < 0) return formatIPv6(parseIPv6(text));
  const { address, length } = parseCidr(text);
  return `${formatIPv6(address)}/${length}`;
}
