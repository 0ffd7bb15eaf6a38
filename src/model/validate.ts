import { z } from "zod";
import { RSC_PREFIX } from "./constants";
import { addressValue, formatIPv6, inPrefix, prefixOf } from "./ipv6";
import type { Topology } from "./types";

// The formats come from zod; the messages stay ours (they name the owner and an example).
const MAC = z.mac({ delimiter: ":" });
const ROUTER_ID = z.ipv4();

interface Owned {
  value: bigint;
  text: string;
  owner: string;
  underlay: boolean;
}

/** Reports values that appear more than once, with both owners. */
function duplicates<T>(
  items: readonly { key: T; owner: string }[],
  describe: (key: T, first: string, second: string) => string,
): string[] {
  const seen = new Map<T, string>();
  const out: string[] = [];
  for (const { key, owner } of items) {
    const first = seen.get(key);
    if (first === undefined) seen.set(key, owner);
    else out.push(describe(key, first, owner));
  }
  return out;
}

/**
 * Consistency check of a resolved (or hand-built) topology. Returns one message per problem,
 * empty when consistent: unique names, MACs, addresses and router IDs; underlay addresses kept
 * out of the overlay prefixes; one /64 per underlay link; interfaces matching their links.
 */
export function validateTopology(t: Topology): string[] {
  const problems: string[] = [];

  problems.push(
    ...duplicates(
      t.nodes.map((n) => ({ key: n.name, owner: n.kind })),
      (name) => `node name ${name} is used twice; node names must be unique`,
    ),
    ...duplicates(
      t.nodes.map((n) => ({ key: n.container, owner: n.name })),
      (c, a, b) => `container name ${c} is used by both ${a} and ${b}; every node needs its own container`,
    ),
    ...duplicates(
      t.nodes.filter((n) => n.routerId !== undefined).map((n) => ({ key: n.routerId, owner: n.name })),
      (id, a, b) => `router ID ${id} is used by both ${a} and ${b}; OSPFv3 needs unique router IDs`,
    ),
  );
  for (const n of t.nodes) {
    if (n.routerId !== undefined && !ROUTER_ID.safeParse(n.routerId).success) {
      problems.push(`${n.name} router ID ${JSON.stringify(n.routerId)} is not a dotted quad like 10.0.1.1`);
    }
  }

  const macs = [
    ...t.hosts.map((h) => ({ key: h.mac.toLowerCase(), owner: h.name, raw: h.mac })),
    ...t.overlay.subnets.flatMap((s) =>
      s.gateway
        ? [{ key: s.gateway.mac.toLowerCase(), owner: `gateway of ${s.prefix}`, raw: s.gateway.mac }]
        : [],
    ),
  ];
  for (const m of macs) {
    if (!MAC.safeParse(m.key).success)
      problems.push(`${m.owner} MAC ${JSON.stringify(m.raw)} is not like 50:54:33:00:00:08`);
  }
  problems.push(
    ...duplicates(
      macs,
      (mac, a, b) => `MAC ${mac} is used by both ${a} and ${b}; every host needs its own MAC`,
    ),
  );

  // Gather every address with who owns it; unparsable ones are reported and skipped.
  const addresses: Owned[] = [];
  const add = (text: string, owner: string, underlay: boolean): void => {
    try {
      addresses.push({ value: addressValue(text), text, owner, underlay });
    } catch {
      problems.push(`${owner} address ${JSON.stringify(text)} is not a valid IPv6 address`);
    }
  };
  for (const n of t.nodes) if (n.loopback !== undefined) add(n.loopback, `${n.name} loopback`, true);
  for (const l of t.links) {
    for (const end of [l.a, l.b]) {
      if (end.address !== undefined) add(end.address, `${end.node} ${end.iface}`, true);
    }
  }
  for (const h of t.hosts) add(h.address, h.name, false);
  for (const s of t.overlay.subnets) if (s.gateway) add(s.gateway.address, `gateway of ${s.prefix}`, false);
  problems.push(
    ...duplicates(
      addresses.map((a) => ({ key: a.value, owner: a.owner })),
      (v, a, b) => `address ${formatIPv6(v)} is used by both ${a} and ${b}; every address must be unique`,
    ),
  );

  // The underlay must never route into the overlay's own subnets.
  const overlayPrefixes = [
    ...new Set([t.vxlan.overlayPrefix, RSC_PREFIX, ...t.overlay.subnets.map((s) => s.prefix)]),
  ];
  const reserved = overlayPrefixes.join(" and ");
  for (const a of addresses.filter((x) => x.underlay)) {
    const hit = overlayPrefixes.find((p) => safeInPrefix(a.value, p));
    if (hit !== undefined) {
      problems.push(
        `${a.owner} address ${a.text} falls inside overlay prefix ${hit}; underlay addresses must stay outside ${reserved}`,
      );
    }
  }
  const subnetPrefixes = t.overlay.subnets.map((s) => s.prefix);
  for (const a of addresses.filter((x) => !x.underlay)) {
    if (!subnetPrefixes.some((p) => safeInPrefix(a.value, p))) {
      problems.push(
        `${a.owner} address ${a.text} is outside the overlay subnets ${subnetPrefixes.join(", ")}`,
      );
    }
  }

  // One /64 per underlay link, shared by its two ends and by nothing else.
  const linkPrefixes: { key: string; owner: string }[] = [];
  for (const l of t.links) {
    const nets = [l.a.address, l.b.address].flatMap((x) => (x === undefined ? [] : [safePrefixOf(x)]));
    const defined = nets.filter((p): p is string => p !== undefined);
    if (l.kind !== "access" && defined.length !== 2) {
      problems.push(`${l.kind} link ${l.name} needs an address with a prefix length on both ends`);
    }
    if (new Set(defined).size > 1) {
      problems.push(
        `link ${l.name} ends are in different prefixes (${defined.join(" and ")}); both must share one`,
      );
    }
    if (defined[0] !== undefined) linkPrefixes.push({ key: defined[0], owner: l.name });
  }
  problems.push(
    ...duplicates(
      linkPrefixes,
      (p, a, b) => `links ${a} and ${b} share prefix ${p}; every underlay link needs its own /64`,
    ),
  );
  for (const n of t.nodes) {
    if (n.loopback === undefined) continue;
    const value = addresses.find((a) => a.owner === `${n.name} loopback`)?.value;
    const hit = value === undefined ? undefined : linkPrefixes.find((p) => safeInPrefix(value, p.key));
    if (hit !== undefined) {
      problems.push(
        `${n.name} loopback ${n.loopback} falls inside prefix ${hit.key} of link ${hit.owner}; loopbacks need addresses outside every link prefix`,
      );
    }
  }

  problems.push(...checkWiring(t));
  return problems;
}

/** Interfaces, links and host attachments must describe the same cabling. */
function checkWiring(t: Topology): string[] {
  const problems: string[] = [];
  const nodes = new Map(t.nodes.map((n) => [n.name, n]));
  const links = new Map(t.links.map((l) => [l.name, l]));
  problems.push(
    ...duplicates(
      t.links.map((l) => ({ key: l.name, owner: l.name })),
      (name) => `link name ${name} is used twice; link names must be unique`,
    ),
  );

  for (const l of t.links) {
    for (const [end, other] of [
      [l.a, l.b],
      [l.b, l.a],
    ] as const) {
      const node = nodes.get(end.node);
      if (node === undefined) {
        problems.push(`link ${l.name} refers to node ${end.node}, which does not exist`);
        continue;
      }
      const iface = node.interfaces.find((i) => i.name === end.iface);
      if (iface === undefined) {
        problems.push(`link ${l.name} refers to ${end.node} ${end.iface}, which ${end.node} does not have`);
      } else if (
        iface.link !== l.name ||
        iface.peer.node !== other.node ||
        iface.peer.iface !== other.iface ||
        iface.address !== end.address
      ) {
        problems.push(
          `${end.node} ${end.iface} does not match link ${l.name} (link, peer or address differ)`,
        );
      }
    }
  }
  for (const n of t.nodes) {
    problems.push(
      ...duplicates(
        n.interfaces.map((i) => ({ key: i.name, owner: n.name })),
        (name) => `${n.name} has two interfaces named ${name}; interface names must be unique per node`,
      ),
    );
    for (const i of n.interfaces) {
      if (!links.has(i.link))
        problems.push(`${n.name} ${i.name} refers to link ${i.link}, which does not exist`);
    }
  }
  for (const n of t.nodes.filter((x) => x.netns !== undefined)) {
    if (nodes.get(n.netns ?? "")?.kind !== "vtep") {
      problems.push(`${n.name} shares the namespace of ${n.netns}, which is not a VTEP`);
    }
    if (n.interfaces.length > 0) {
      problems.push(`${n.name} shares ${n.netns}'s namespace and cannot have interfaces of its own`);
    }
  }
  for (const h of t.hosts) {
    const vtep = nodes.get(h.vtep);
    const port = vtep?.interfaces.find((i) => i.name === h.vtepPort);
    if (vtep?.kind !== "vtep") {
      problems.push(`host ${h.name} is attached to ${h.vtep}, which is not a VTEP`);
    } else if (port?.peer.node !== h.name) {
      problems.push(`host ${h.name} port ${h.vtep} ${h.vtepPort} is not cabled to ${h.name}`);
    }
  }
  return problems;
}

function safeInPrefix(value: bigint, prefix: string): boolean {
  try {
    return inPrefix(value, prefix);
  } catch {
    return false;
  }
}

function safePrefixOf(cidr: string): string | undefined {
  try {
    return prefixOf(cidr);
  } catch {
    return undefined;
  }
}
