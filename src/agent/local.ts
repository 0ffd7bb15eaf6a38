// Our own hosts, learned from the kernel (never from config), and what we
// publish about them. Pure: main.ts reads the kernel and talks to etcd.

import { isPublishableIpv6, isUnicastMac, parseIpv6, parseMac } from "./addr";
import { entries, FdbEntrySchema, NftSetSchema, SetElementSchema } from "./kernel-json";
import { MacValueSchema, readValue, type IpValue, type MacValue } from "./values";

export interface LocalHosts {
  macs: Set<string>;
  /** IP -> MAC, only IPs whose MAC is in `macs` */
  ips: Map<string, string>;
}

/**
 * MACs the bridge learned on its access ports, from `bridge -j fdb show br <bridge>`:
 * entries with master <bridge> on a port other than the VXLAN device, not
 * permanent (the bridge's and the ports' own addresses) and not "self"
 * (a port's own table).
 */
export function localMacs(fdb: unknown, bridge: string, device: string): Set<string> {
  const out = new Set<string>();
  for (const o of entries(FdbEntrySchema, fdb)) {
    if (o.master !== bridge || o.ifname === device || o.ifname === bridge) continue;
    if (o.flags.includes("self") || o.flags.includes("extern_learn") || o.state === "permanent") continue;
    const mac = parseMac(o.mac);
    if (mac && isUnicastMac(mac)) out.add(mac);
  }
  return out;
}

/**
 * IP -> MAC from `nft -j list set bridge vxlan_agent hosts6`, elements
 * `{"elem": {"val": {"concat": [ip, mac]}, "expires": s}}`. When one IP shows
 * up with two MACs, the one refreshed last (longest expiry) wins.
 */
export function learnedIps(setJson: unknown): Map<string, string> {
  const best = new Map<string, { mac: string; expires: number }>();
  const root = NftSetSchema.safeParse(setJson);
  for (const item of root.success ? root.data.nftables : []) {
    for (const el of entries(SetElementSchema, item.set?.elem)) {
      const ip = parseIpv6(el.ip);
      const mac = parseMac(el.mac);
      if (!ip || !mac || !isPublishableIpv6(ip) || !isUnicastMac(mac)) continue;
      const expires = el.expires;
      const prev = best.get(ip);
      if (!prev || expires > prev.expires) best.set(ip, { mac, expires });
    }
  }
  return new Map([...best].map(([ip, v]) => [ip, v.mac]));
}

export function localHosts(macs: Set<string>, ips: Map<string, string>): LocalHosts {
  return { macs, ips: new Map([...ips].filter(([, mac]) => macs.has(mac))) };
}

export interface PublishPlan {
  puts: { key: string; value: string }[];
  /** delete only if the key still holds this value (an etcd txn compare) */
  deletes: { key: string; value: string }[];
}

/**
 * What we have published and what we should. A key another VTEP overwrote
 * (the host moved there) is given up, not fought over: we take it back only
 * after it is deleted or our host leaves and is learned again.
 */
export class Publisher {
  /** in the registry under our current lease, as far as we know */
  readonly published = new Map<string, string>();
  /** ours by vtep but not from this lease (a previous run): removed unless still wanted */
  private readonly ownStale = new Map<string, string>();
  private readonly yielded = new Set<string>();
  private desired = new Map<string, string>();

  constructor(
    private readonly prefix: string,
    private readonly vtep: string,
  ) {}

  macKey(mac: string): string {
    return `${this.prefix}mac/${mac}`;
  }
  ipKey(ip: string): string {
    return `${this.prefix}ip/${ip}`;
  }

  setLocal(hosts: LocalHosts): void {
    const d = new Map<string, string>();
    for (const mac of [...hosts.macs].sort())
      d.set(this.macKey(mac), JSON.stringify({ vtep: this.vtep } satisfies MacValue));
    for (const [ip, mac] of [...hosts.ips].sort()) {
      d.set(this.ipKey(ip), JSON.stringify({ mac, vtep: this.vtep } satisfies IpValue));
    }
    this.desired = d;
  }

  get yieldedCount(): number {
    return this.yielded.size;
  }

  /** MAC keys before IP keys on put, IP keys before MAC keys on delete: no IP points at a missing MAC. */
  plan(): PublishPlan {
    for (const k of this.yielded) if (!this.desired.has(k)) this.yielded.delete(k);
    const puts: PublishPlan["puts"] = [];
    for (const [key, value] of this.desired) {
      if (!this.yielded.has(key) && this.published.get(key) !== value) puts.push({ key, value });
    }
    const deletes: PublishPlan["deletes"] = [];
    for (const m of [this.published, this.ownStale]) {
      for (const [key, value] of m) if (!this.desired.has(key)) deletes.push({ key, value });
    }
    const ipFirst = (a: { key: string }, b: { key: string }) => this.rank(b.key) - this.rank(a.key);
    return { puts, deletes: deletes.sort(ipFirst) };
  }

  private rank(key: string): number {
    return key.startsWith(`${this.prefix}ip/`) ? 1 : 0;
  }

  donePut(key: string, value: string): void {
    this.published.set(key, value);
    this.ownStale.delete(key);
  }

  doneDelete(key: string): void {
    this.published.delete(key);
    this.ownStale.delete(key);
  }

  /** A new lease: nothing of ours survives the old one, publish everything again. */
  leaseChanged(): void {
    this.published.clear();
    this.ownStale.clear();
  }

  /** A watch event under the prefix (value null: deleted). True when we give the key up. */
  observe(key: string, value: string | null): boolean {
    if (value === null) {
      this.published.delete(key);
      this.ownStale.delete(key);
      this.yielded.delete(key);
      return false;
    }
    if (this.isOurs(value)) {
      // the registry's word on what it holds; a difference from `desired` is put again
      if (this.published.has(key)) this.published.set(key, value);
      else this.ownStale.set(key, value);
      return false;
    }
    this.ownStale.delete(key);
    if (!this.published.delete(key)) return false;
    this.yielded.add(key);
    return true;
  }

  /** A full read of the prefix: whatever we think we published but is not there must go again. */
  observeAll(kvs: { key: string; value: string }[]): void {
    const present = new Set(kvs.map((kv) => kv.key));
    for (const k of [...this.published.keys()]) if (!present.has(k)) this.published.delete(k);
    for (const k of [...this.yielded]) if (!present.has(k)) this.yielded.delete(k);
    this.ownStale.clear();
    for (const kv of kvs) this.observe(kv.key, kv.value);
  }

  private isOurs(value: string): boolean {
    return readValue(MacValueSchema, value)?.vtep === this.vtep;
  }
}
