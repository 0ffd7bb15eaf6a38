// The agent's decisions, without I/O: the remote view (what the registry says
// about other VTEPs' hosts), what we installed in the kernel, and the batch
// lines that bring the second in line with the first. main.ts feeds it misses,
// registry changes and kernel dumps, and writes the lines it returns.

import { isIP } from "node:net";
import { isSolicitedNodeMac, isUnicastMac, parseIpv6, parseMac, solicitedNodeMac } from "./addr";
import { BatchLine, fdbAppend, fdbDel, fdbReplace, neighDel, neighReplace } from "./commands";
import type { AgentMode } from "./config";
import type { MissEvent } from "./events";
import { entries, FdbEntrySchema, NeighEntrySchema } from "./kernel-json";
import { IpValueSchema, MacValueSchema, readValue } from "./values";

export interface RemoteIp {
  mac: string;
  vtep: string;
}

export interface KeyValue {
  key: string;
  value: string;
}

interface Installed<T> {
  value: T;
  /** when we last wrote it (ms), to skip rewrites while a burst of misses for it drains */
  at: number;
}

export interface StateOptions {
  vtep: string;
  device: string;
  mode: AgentMode;
  prefix: string;
  now?: () => number;
  /** a miss for an entry we wrote less than this ago is answered by the write in flight */
  rewriteAfterMs?: number;
  /** how many distinct unknown MACs/IPs are remembered (only to log each once) */
  unknownMemory?: number;
  /**
   * A key missing from a full read that the view held before is kept this
   * long (stale), unless a watch event settles it first; 0 drops it at once.
   */
  staleHoldMs?: number;
}

export type MissOutcome = "resolved" | "unknown" | "local" | "ignored";

export interface PerKind {
  l2: number;
  l3: number;
}

export interface Counters {
  misses: PerKind;
  resolved: PerKind;
  unknown: PerKind;
  /** misses for our own hosts (the proxy sees ND between two local hosts, for one) */
  local: PerKind;
  /** registry entries with a value we could not use (treated as absent) */
  invalidEntries: number;
}

export type RegistryKey = { kind: "mac"; mac: string } | { kind: "ip"; ip: string };

/** `<prefix>mac/<mac>` or `<prefix>ip/<ipv6>`, addresses normalised; undefined for anything else. */
export function parseKey(prefix: string, key: string): RegistryKey | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  if (rest.startsWith("mac/")) {
    const mac = parseMac(rest.slice(4));
    return mac && isUnicastMac(mac) ? { kind: "mac", mac } : undefined;
  }
  if (rest.startsWith("ip/")) {
    const ip = parseIpv6(rest.slice(3));
    return ip ? { kind: "ip", ip } : undefined;
  }
  return undefined;
}

/** The value of a mac key: the VTEP behind that MAC. */
export function parseMacValue(value: string): string | undefined {
  return readValue(MacValueSchema, value)?.vtep;
}

/** The value of an ip key. */
export function parseIpValue(value: string): RemoteIp | undefined {
  const v = readValue(IpValueSchema, value);
  return v && { mac: v.mac, vtep: v.vtep };
}

export class AgentState {
  /** remote view: MAC -> VTEP (never our own VTEP) */
  readonly macs = new Map<string, string>();
  /** remote view: IP -> MAC and VTEP */
  readonly ips = new Map<string, RemoteIp>();
  /** l2 mode: solicited-node MAC -> the remote IPs it stands for */
  private readonly snIps = new Map<string, Set<string>>();

  /** installed unicast FDB entries: MAC -> dst */
  readonly fdb = new Map<string, Installed<string>>();
  /** installed ND entries: IP -> MAC */
  readonly neigh = new Map<string, Installed<string>>();
  /** installed solicited-node entries: MAC -> dsts */
  readonly multicast = new Map<string, Set<string>>();
  /** extra dsts found on an adopted unicast MAC; removed at the next reconcile */
  private strays: { mac: string; dst: string }[] = [];

  /** our hosts, from the publisher, to tell their misses from unknown ones */
  private localMacs = new Set<string>();
  private localIps = new Set<string>();

  private readonly recentUnknown = new Map<string, true>();
  viewLoaded = false;

  /** the registry as last read (stale keys included): key -> value */
  private readonly entries = new Map<string, string>();
  /** keys missing from the last full read, kept until then (ms) */
  private staleUntil = new Map<string, number>();

  readonly counters: Counters = {
    misses: { l2: 0, l3: 0 },
    resolved: { l2: 0, l3: 0 },
    unknown: { l2: 0, l3: 0 },
    local: { l2: 0, l3: 0 },
    invalidEntries: 0,
  };

  private readonly now: () => number;
  private readonly rewriteAfterMs: number;
  private readonly unknownMemory: number;
  private readonly staleHoldMs: number;

  constructor(private readonly opts: StateOptions) {
    this.now = opts.now ?? Date.now;
    this.rewriteAfterMs = opts.rewriteAfterMs ?? 1000;
    this.unknownMemory = opts.unknownMemory ?? 256;
    this.staleHoldMs = opts.staleHoldMs ?? 0;
  }

  /** Keys the view holds only because the last full read lacked them (stale). */
  get staleCount(): number {
    return this.staleUntil.size;
  }

  get recentUnknownSize(): number {
    return this.recentUnknown.size;
  }

  get multicastCount(): number {
    let n = 0;
    for (const dsts of this.multicast.values()) n += dsts.size;
    return n;
  }

  setLocal(macs: Iterable<string>, ips: Iterable<string>): void {
    this.localMacs = new Set(macs);
    this.localIps = new Set(ips);
  }

  // --- misses ---------------------------------------------------------------

  /**
   * A miss from the kernel. `firstSeen` is true the first time an unknown
   * address shows up (within a bounded memory), so the caller logs it once.
   */
  onMiss(ev: MissEvent): { lines: BatchLine[]; outcome: MissOutcome; firstSeen: boolean } {
    const c = this.counters;
    if (ev.kind === "l2") {
      c.misses.l2++;
      if (!this.macs.has(ev.mac)) return this.unresolved("l2", ev.mac, this.localMacs.has(ev.mac));
      c.resolved.l2++;
      return { lines: this.ensureFdb(ev.mac, true), outcome: "resolved", firstSeen: false };
    }
    c.misses.l3++;
    // l2 mode answers ND through the solicited-node entries, not the proxy
    if (this.opts.mode !== "nd") return { lines: [], outcome: "ignored", firstSeen: false };
    const r = this.ips.get(ev.ip);
    if (!r) return this.unresolved("l3", ev.ip, this.localIps.has(ev.ip));
    c.resolved.l3++;
    const lines: BatchLine[] = [];
    const inst = this.neigh.get(ev.ip);
    if (!inst || inst.value !== r.mac || this.stale(inst)) {
      lines.push(neighReplace(ev.ip, r.mac, this.opts.device));
      this.neigh.set(ev.ip, { value: r.mac, at: this.now() });
    }
    // the frame that follows the NA needs the MAC too: saves its l2miss
    lines.push(...this.ensureFdb(r.mac, false));
    return { lines, outcome: "resolved", firstSeen: false };
  }

  private unresolved(kind: "l2" | "l3", addr: string, local: boolean) {
    if (local) {
      this.counters.local[kind]++;
      return { lines: [], outcome: "local" as const, firstSeen: false };
    }
    this.counters.unknown[kind]++;
    const firstSeen = !this.recentUnknown.has(addr);
    // LRU of bounded size: refresh on hit, drop the oldest on overflow
    this.recentUnknown.delete(addr);
    this.recentUnknown.set(addr, true);
    if (this.recentUnknown.size > this.unknownMemory) {
      const oldest = this.recentUnknown.keys().next();
      if (!oldest.done) this.recentUnknown.delete(oldest.value);
    }
    return { lines: [], outcome: "unknown" as const, firstSeen };
  }

  private stale(i: Installed<unknown>): boolean {
    return this.now() - i.at >= this.rewriteAfterMs;
  }

  /**
   * Install the view's FDB entry for `mac`. A miss proves the kernel lacks it,
   * so an entry we think is there is rewritten unless we just wrote it.
   */
  private ensureFdb(mac: string, missed: boolean): BatchLine[] {
    const want = this.macs.get(mac);
    if (!want) return [];
    const inst = this.fdb.get(mac);
    if (inst && inst.value === want && (!missed || !this.stale(inst))) return [];
    this.fdb.set(mac, { value: want, at: this.now() });
    return [fdbReplace(mac, this.opts.device, want)];
  }

  // --- registry -------------------------------------------------------------

  /**
   * A full read of the prefix (start, reconnect): replace the view, then fix
   * what we installed. A key the view held that the read lacks is kept as
   * stale for staleHoldMs: a registry that lost its leases (cut off for longer
   * than their TTL) comes back empty and fills again as every agent publishes
   * anew. Dropping such keys at once deleted working entries, and an entry
   * the kernel no longer misses (the hosts' neighbour caches still valid, or
   * no traffic) was never installed again (seen: H2's entry missing on S1
   * after R1, then the registry's only router, came back).
   */
  loadView(kvs: Iterable<KeyValue>): BatchLine[] {
    const read = new Map<string, string>();
    for (const kv of kvs) read.set(kv.key, kv.value);
    const now = this.now();
    const kept = new Map<string, number>();
    if (this.viewLoaded && this.staleHoldMs > 0) {
      for (const [key, value] of this.entries) {
        if (read.has(key)) continue;
        // a key stale already keeps its first deadline: reconnects do not extend it
        const until = this.staleUntil.get(key) ?? now + this.staleHoldMs;
        if (until > now) {
          kept.set(key, until);
          read.set(key, value);
        }
      }
    }
    this.staleUntil = kept;
    this.entries.clear();
    this.macs.clear();
    this.ips.clear();
    this.snIps.clear();
    for (const [key, value] of read) this.setEntry(key, value);
    this.viewLoaded = true;
    return this.reconcile();
  }

  /** One watch event; value null for a delete. It settles a stale key either way. */
  applyChange(key: string, value: string | null): BatchLine[] {
    this.staleUntil.delete(key);
    const k = this.setEntry(key, value);
    if (!k || !this.viewLoaded) return [];
    return this.fixKey(k);
  }

  /** Stale keys whose hold ran out leave the view, with what was installed from them. */
  expireStale(): BatchLine[] {
    const now = this.now();
    const lines: BatchLine[] = [];
    for (const [key, until] of [...this.staleUntil]) {
      if (until > now) continue;
      this.staleUntil.delete(key);
      const k = this.setEntry(key, null);
      if (k) lines.push(...this.fixKey(k));
    }
    return lines;
  }

  private fixKey(k: RegistryKey): BatchLine[] {
    if (k.kind === "mac") return this.fixMac(k.mac);
    return [...this.fixIp(k.ip), ...this.fixSolicited(solicitedNodeMac(k.ip))];
  }

  private setEntry(key: string, value: string | null): RegistryKey | undefined {
    if (value === null) this.entries.delete(key);
    else this.entries.set(key, value);
    const k = parseKey(this.opts.prefix, key);
    if (!k) {
      if (value !== null && key.startsWith(this.opts.prefix)) this.counters.invalidEntries++;
      return undefined;
    }
    if (k.kind === "mac") {
      const vtep = value === null ? undefined : parseMacValue(value);
      if (value !== null && !vtep) this.counters.invalidEntries++;
      if (vtep && vtep !== this.opts.vtep) this.macs.set(k.mac, vtep);
      else this.macs.delete(k.mac);
      return k;
    }
    const r = value === null ? undefined : parseIpValue(value);
    if (value !== null && !r) this.counters.invalidEntries++;
    const sn = solicitedNodeMac(k.ip);
    if (r && r.vtep !== this.opts.vtep) {
      this.ips.set(k.ip, r);
      let set = this.snIps.get(sn);
      if (!set) this.snIps.set(sn, (set = new Set()));
      set.add(k.ip);
    } else {
      this.ips.delete(k.ip);
      const set = this.snIps.get(sn);
      set?.delete(k.ip);
      if (set?.size === 0) this.snIps.delete(sn);
    }
    return k;
  }

  private fixMac(mac: string): BatchLine[] {
    const inst = this.fdb.get(mac);
    if (!inst) return []; // never installed: the next miss will ask
    const want = this.macs.get(mac);
    if (want === inst.value) return [];
    if (want) {
      this.fdb.set(mac, { value: want, at: this.now() });
      return [fdbReplace(mac, this.opts.device, want)];
    }
    this.fdb.delete(mac);
    return [fdbDel(mac, this.opts.device, inst.value)];
  }

  private fixIp(ip: string): BatchLine[] {
    const inst = this.neigh.get(ip);
    if (!inst) return [];
    const want = this.opts.mode === "nd" ? this.ips.get(ip) : undefined;
    if (want?.mac === inst.value) return [];
    if (want) {
      this.neigh.set(ip, { value: want.mac, at: this.now() });
      return [neighReplace(ip, want.mac, this.opts.device), ...this.ensureFdb(want.mac, false)];
    }
    this.neigh.delete(ip);
    return [neighDel(ip, this.opts.device)];
  }

  /** l2 mode: one dst per VTEP that has an IP behind this solicited-node MAC; nd mode: none. */
  private fixSolicited(sn: string): BatchLine[] {
    const want = new Set<string>();
    if (this.opts.mode === "l2") {
      for (const ip of this.snIps.get(sn) ?? []) {
        const r = this.ips.get(ip);
        if (r) want.add(r.vtep);
      }
    }
    const have = this.multicast.get(sn) ?? new Set<string>();
    const lines: BatchLine[] = [];
    for (const dst of want) {
      if (!have.has(dst)) lines.push(fdbAppend(sn, this.opts.device, dst));
    }
    for (const dst of have) {
      if (!want.has(dst)) lines.push(fdbDel(sn, this.opts.device, dst));
    }
    if (want.size > 0) this.multicast.set(sn, want);
    else this.multicast.delete(sn);
    return lines;
  }

  // --- kernel resync ----------------------------------------------------------

  /**
   * Take the kernel's extern_learn entries on our device as what we installed
   * (start, or after a batch channel died and its last lines are in doubt).
   * `fdb` is `bridge -j fdb show dev <device>`, `neigh` is
   * `ip -j neigh show dev <device> nud all`. Entries without extern_learn are
   * not ours and are ignored.
   */
  adopt(fdb: unknown, neigh: unknown): { fdb: number; neigh: number; multicast: number } {
    this.fdb.clear();
    this.neigh.clear();
    this.multicast.clear();
    this.strays = [];
    // as if written long ago: the next miss for one of them rewrites it
    const at = Number.NEGATIVE_INFINITY;
    for (const o of entries(FdbEntrySchema, fdb)) {
      if (!o.flags.includes("extern_learn") || !o.flags.includes("self") || o.master !== undefined) continue;
      const mac = parseMac(o.mac);
      const dst = o.dst !== undefined && isIP(o.dst) !== 0 ? (parseIpv6(o.dst) ?? o.dst) : undefined;
      if (!mac || !dst) continue;
      if (isSolicitedNodeMac(mac)) {
        let set = this.multicast.get(mac);
        if (!set) this.multicast.set(mac, (set = new Set()));
        set.add(dst);
      } else if (this.fdb.has(mac)) {
        this.strays.push({ mac, dst });
      } else {
        this.fdb.set(mac, { value: dst, at });
      }
    }
    for (const o of entries(NeighEntrySchema, neigh)) {
      const flagged = "extern_learn" in o || o.flags.includes("extern_learn");
      const ip = parseIpv6(o.dst);
      const mac = o.lladdr === undefined ? undefined : parseMac(o.lladdr);
      if (flagged && ip && mac) this.neigh.set(ip, { value: mac, at });
    }
    return {
      fdb: this.fdb.size + this.strays.length,
      neigh: this.neigh.size,
      multicast: this.multicastCount,
    };
  }

  /** Every installed entry checked against the view: keep the right ones, fix or remove the rest. */
  reconcile(): BatchLine[] {
    if (!this.viewLoaded) return [];
    const lines: BatchLine[] = this.strays.map((s) => fdbDel(s.mac, this.opts.device, s.dst));
    this.strays = [];
    for (const ip of [...this.neigh.keys()]) lines.push(...this.fixIp(ip));
    for (const mac of [...this.fdb.keys()]) lines.push(...this.fixMac(mac));
    for (const sn of new Set([...this.multicast.keys(), ...this.snIps.keys()])) {
      lines.push(...this.fixSolicited(sn));
    }
    return lines;
  }
}
