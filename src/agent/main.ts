// The VTEP agent: publishes this VTEP's hosts to etcd, keeps a view of the
// other VTEPs' hosts, and answers the VXLAN device's misses from that view.
// Usage: node agent.js /etc/vxlan-agent/config.json

import { readFileSync } from "node:fs";
import { AgentConfig, parseConfig } from "./config";
import type { BatchLine } from "./commands";
import { parseMissLine } from "./events";
import {
  BatchChannel,
  NeighMonitor,
  readBridgeFdb,
  readFdb,
  readLearnedSet,
  readNeigh,
  setupNft,
} from "./kernel";
import { learnedIps, localHosts, localMacs, Publisher } from "./local";
import { EtcdClient, LeaseGoneError, WatchEvent } from "./registry";
import { AgentState } from "./state";
import { AgentStatus, writeStatus } from "./status";

const RESYNC_EVERY_MS = 60_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause
const errText = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
  return e.message + cause;
};

/** Doubling delay for retries: 200 ms up to 5 s, back to 200 ms after a success. */
class Backoff {
  private ms = 200;
  next(): number {
    const ms = this.ms;
    this.ms = Math.min(this.ms * 2, 5000);
    return ms;
  }
  reset(): void {
    this.ms = 200;
  }
}

/** Logs at most `perSecond` lines a second; a burst of misses must not flood stderr. */
class RateLimitedLog {
  private tokens: number;
  private last = Date.now();
  private suppressed = 0;
  constructor(
    private readonly perSecond: number,
    private readonly out: (msg: string) => void,
  ) {
    this.tokens = perSecond;
  }
  log(msg: string): void {
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return;
    }
    this.tokens--;
    if (this.suppressed > 0) {
      this.out(`(${this.suppressed} log lines suppressed)`);
      this.suppressed = 0;
    }
    this.out(msg);
  }
}

class Agent {
  private readonly state: AgentState;
  private readonly publisher: Publisher;
  private readonly etcd: EtcdClient;
  private readonly channels: Record<"bridge" | "ip", BatchChannel>;
  private readonly monitor: NeighMonitor;
  private readonly startedAt = new Date().toISOString();
  private readonly missLog = new RateLimitedLog(20, (m) => this.log(m));

  private stopping = false;
  private registryUp = false;
  private lease: string | undefined;
  private registryErrors = 0;
  private lastEvent: string | null = null;
  private watchAbort: AbortController | undefined;
  private publishing = false;
  private localCounts = { macs: 0, ips: 0 };

  /** while the kernel tables are read back, decisions wait: they depend on what is installed */
  private resyncing = false;
  private resyncWanted = true;
  private readonly queued: (() => void)[] = [];
  private droppedWhileResyncing = 0;

  private statusTimer: NodeJS.Timeout | undefined;
  private statusSoon: NodeJS.Timeout | undefined;

  constructor(private readonly cfg: AgentConfig) {
    this.state = new AgentState({
      vtep: cfg.vtep,
      device: cfg.device,
      mode: cfg.mode,
      prefix: cfg.prefix,
      // Every live agent publishes again within about a keepalive period of
      // the registry's return; twice the TTL leaves room for backoff and load.
      staleHoldMs: 2 * cfg.leaseTtl * 1000,
    });
    this.publisher = new Publisher(cfg.prefix, cfg.vtep);
    this.etcd = new EtcdClient(cfg.registry, { timeoutMs: 3000 });
    const channel = (cmd: "bridge" | "ip") =>
      new BatchChannel(
        cmd,
        (line, message) => {
          this.log(`${cmd} batch error: ${message}${line ? ` (line: ${line})` : ""}`);
          this.statusChanged();
        },
        (code, signal) => this.channelDied(cmd, code, signal),
      );
    this.channels = { bridge: channel("bridge"), ip: channel("ip") };
    this.monitor = new NeighMonitor(
      (line) => this.onMonitorLine(line),
      (code, signal, stderr) => this.monitorDied(code, signal, stderr),
    );
  }

  log(msg: string): void {
    this.lastEvent = `${new Date().toISOString()} ${msg}`;
    process.stderr.write(`vxlan-agent: ${msg}\n`);
  }

  async start(): Promise<void> {
    const c = this.cfg;
    this.log(
      `start: vtep ${c.vtep} vni ${c.vni} device ${c.device} bridge ${c.bridge} mode ${c.mode} registry ${c.registry}`,
    );
    this.channels.bridge.start();
    this.channels.ip.start();
    this.monitor.start();
    await this.resync();
    await setupNft(c.device).catch((e) => this.log(`nft setup failed (retried at each poll): ${errText(e)}`));
    this.statusTimer = setInterval(() => void this.writeStatusNow(), 1000);
    void this.writeStatusNow();
    void this.registryLoop();
    void this.leaseLoop();
    void this.pollLoop();
  }

  stop(): void {
    // kernel entries and registry keys stay: traffic goes on, the lease ages the keys out
    this.stopping = true;
    this.watchAbort?.abort();
    clearInterval(this.statusTimer);
    clearTimeout(this.statusSoon);
    this.monitor.stop();
    this.channels.bridge.stop();
    this.channels.ip.stop();
    // no last status write: whoever restarts us may have removed the file to wait for the next run's
    this.log("stopped (SIGTERM)");
  }

  // --- kernel -----------------------------------------------------------------

  private apply(lines: BatchLine[]): void {
    if (lines.length === 0) return;
    for (const cmd of ["bridge", "ip"] as const) {
      const mine = lines.filter((l) => l.channel === cmd).map((l) => l.line);
      // a channel that is down loses these: the resync after its restart reads the truth back
      if (mine.length > 0 && !this.channels[cmd].write(mine)) this.resyncWanted = true;
    }
    this.statusChanged();
  }

  /** Run now, or after the resync in progress (bounded: misses come again anyway). */
  private serial(fn: () => void, droppable: boolean): void {
    if (!this.resyncing) {
      try {
        fn();
      } catch (e) {
        this.log(`internal error: ${errText(e)}`);
      }
      return;
    }
    if (droppable && this.queued.length >= 10000) {
      this.droppedWhileResyncing++;
      return;
    }
    this.queued.push(fn);
  }

  private lastResyncError = "";

  /**
   * Adopt the extern_learn entries the kernel holds on our device as what we
   * installed, then fix them against the view (if loaded).
   */
  private async resync(periodic = false): Promise<void> {
    if (this.resyncing) return;
    this.resyncing = true;
    this.resyncWanted = false;
    try {
      const [fdb, neigh] = await Promise.all([readFdb(this.cfg.device), readNeigh(this.cfg.device)]);
      const n = this.state.adopt(fdb, neigh);
      const lines = this.state.reconcile();
      this.apply(lines);
      if (!periodic || lines.length > 0) {
        this.log(
          `resync: adopted ${n.fdb} fdb, ${n.neigh} neigh, ${n.multicast} multicast extern_learn entries;` +
            ` ${lines.length} kernel changes`,
        );
      }
      this.lastResyncError = "";
    } catch (e) {
      this.resyncWanted = true;
      const text = `resync failed (retried at each poll): ${errText(e)}`;
      if (text !== this.lastResyncError) this.log(text);
      this.lastResyncError = text;
    } finally {
      this.resyncing = false;
      const q = this.queued.splice(0);
      if (this.droppedWhileResyncing > 0) {
        this.log(`${this.droppedWhileResyncing} misses dropped during the resync`);
        this.droppedWhileResyncing = 0;
      }
      for (const fn of q) this.serial(fn, false);
    }
  }

  private readonly channelBackoff = { bridge: new Backoff(), ip: new Backoff() };
  private readonly channelStarted = { bridge: Date.now(), ip: Date.now() };

  private channelDied(cmd: "bridge" | "ip", code: number | null, signal: string | null): void {
    if (this.stopping) return;
    if (Date.now() - this.channelStarted[cmd] > 30000) this.channelBackoff[cmd].reset();
    const delay = this.channelBackoff[cmd].next();
    this.log(`${cmd} -batch exited (code ${code}, signal ${signal}); restart in ${delay} ms, then resync`);
    this.resyncWanted = true;
    setTimeout(() => {
      if (this.stopping) return;
      this.channelStarted[cmd] = Date.now();
      this.channels[cmd].start();
      void this.resync();
    }, delay);
    this.statusChanged();
  }

  private readonly monitorBackoff = new Backoff();
  private monitorStarted = Date.now();

  private monitorDied(code: number | null, signal: string | null, stderr: string): void {
    if (this.stopping) return;
    if (Date.now() - this.monitorStarted > 30000) this.monitorBackoff.reset();
    const delay = this.monitorBackoff.next();
    this.log(
      `ip monitor exited (code ${code}, signal ${signal}${stderr ? `: ${stderr}` : ""}); restart in ${delay} ms`,
    );
    setTimeout(() => {
      if (this.stopping) return;
      this.monitorStarted = Date.now();
      this.monitor.start();
    }, delay);
  }

  private onMonitorLine(line: string): void {
    const ev = parseMissLine(line, this.cfg.device);
    if (!ev) return;
    this.serial(() => {
      const r = this.state.onMiss(ev);
      this.apply(r.lines);
      const what = ev.kind === "l2" ? `l2 miss ${ev.mac}` : `l3 miss ${ev.ip}`;
      if (r.outcome === "resolved" && r.lines.length > 0) {
        const to = ev.kind === "l2" ? this.state.macs.get(ev.mac) : this.state.ips.get(ev.ip)?.mac;
        this.missLog.log(`${what} -> ${to}: installed`);
      } else if (r.outcome === "unknown" && r.firstSeen) {
        this.missLog.log(`${what}: unknown, ignored`);
      }
      this.statusChanged();
    }, true);
  }

  // --- registry -----------------------------------------------------------------

  private setRegistry(up: boolean): void {
    if (up !== this.registryUp) this.log(`registry ${up ? "up" : "down"}`);
    this.registryUp = up;
    this.statusChanged();
  }

  private lastRegistryError = "";

  private registryFailed(what: string, e: unknown): void {
    this.registryErrors++;
    // once per outage and per distinct error, not once per retry
    const text = `registry ${what} failed: ${errText(e)}`;
    if (this.registryUp || text !== this.lastRegistryError) this.log(text);
    this.lastRegistryError = text;
    this.setRegistry(false);
  }

  /** Range, then watch from the next revision; on any failure back off, keep everything, read again. */
  private async registryLoop(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopping) {
      const ctrl = new AbortController();
      this.watchAbort = ctrl;
      try {
        const r = await this.etcd.range(this.cfg.prefix);
        this.serial(() => {
          const lines = this.state.loadView(r.kvs);
          this.apply(lines);
          const stale = this.state.staleCount;
          this.log(
            `view loaded at revision ${r.revision}: ${this.state.macs.size} macs, ${this.state.ips.size} ips;` +
              ` ${lines.length} kernel changes` +
              (stale > 0
                ? `; ${stale} keys missing from the registry kept until they are published again`
                : ""),
          );
        }, false);
        this.publisher.observeAll(r.kvs);
        this.setRegistry(true);
        backoff.reset();
        const from = (BigInt(r.revision) + 1n).toString();
        await this.etcd.watch(this.cfg.prefix, from, (evs) => this.onWatch(evs), ctrl.signal);
      } catch (e) {
        if (this.stopping) break;
        this.registryFailed("watch", e);
      }
      if (!this.stopping) await sleep(backoff.next());
    }
  }

  private onWatch(events: WatchEvent[]): void {
    for (const ev of events) {
      if (this.publisher.observe(ev.key, ev.value)) {
        this.log(`gave ${ev.key.slice(this.cfg.prefix.length)} up to a newer claim: ${ev.value}`);
      }
      this.serial(() => {
        const invalid = this.state.counters.invalidEntries;
        const lines = this.state.applyChange(ev.key, ev.value);
        this.apply(lines);
        const rel = ev.key.startsWith(this.cfg.prefix) ? ev.key.slice(this.cfg.prefix.length) : ev.key;
        const note =
          this.state.counters.invalidEntries > invalid
            ? ": invalid, ignored"
            : lines.length > 0
              ? `: ${lines.length} kernel change${lines.length > 1 ? "s" : ""}`
              : "";
        this.log(`registry ${ev.type} ${rel}${ev.value !== null ? ` ${ev.value}` : ""}${note}`);
      }, false);
    }
    this.setRegistry(true);
    void this.publish();
  }

  private async leaseLoop(): Promise<void> {
    const backoff = new Backoff();
    const every = Math.max(1000, Math.floor((this.cfg.leaseTtl * 1000) / 3));
    while (!this.stopping) {
      if (!this.lease) {
        try {
          const g = await this.etcd.grant(this.cfg.leaseTtl);
          this.lease = g.id;
          this.publisher.leaseChanged();
          this.log(`lease ${g.id} granted (TTL ${g.ttl} s): publishing all local hosts`);
          backoff.reset();
          void this.publish();
        } catch (e) {
          this.registryFailed("lease grant", e);
          await sleep(backoff.next());
          continue;
        }
      }
      await sleep(every);
      if (this.stopping || !this.lease) continue;
      try {
        const ttl = await this.etcd.keepalive(this.lease);
        if (ttl <= 0) {
          this.log(`lease ${this.lease} expired: a new one, then republish`);
          this.lease = undefined;
        }
        backoff.reset();
      } catch (e) {
        this.registryFailed("keepalive", e);
        // a connection that hangs silently never ends the watch by itself
        this.watchAbort?.abort();
      }
    }
  }

  private async publish(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.publishing || this.stopping) return;
    this.publishing = true;
    try {
      const plan = this.publisher.plan();
      for (const p of plan.puts) {
        await this.etcd.put(p.key, p.value, lease);
        this.publisher.donePut(p.key, p.value);
        this.log(`published ${p.key.slice(this.cfg.prefix.length)} ${p.value}`);
      }
      for (const d of plan.deletes) {
        const deleted = await this.etcd.deleteIfValue(d.key, d.value);
        this.publisher.doneDelete(d.key);
        this.log(
          `withdrew ${d.key.slice(this.cfg.prefix.length)}${deleted ? "" : " (already changed by another VTEP)"}`,
        );
      }
    } catch (e) {
      if (e instanceof LeaseGoneError && this.lease === lease) {
        this.log(`lease ${lease} gone: a new one, then republish`);
        this.lease = undefined;
      } else {
        this.registryFailed("publish", e);
      }
    } finally {
      this.publishing = false;
      this.statusChanged();
    }
  }

  // --- local hosts ----------------------------------------------------------------

  private async pollLoop(): Promise<void> {
    let failing = false;
    let lastResync = Date.now();
    while (!this.stopping) {
      try {
        // also now and then: anti-entropy against entries changed behind our back
        if (this.resyncWanted || Date.now() - lastResync > RESYNC_EVERY_MS) {
          const periodic = !this.resyncWanted;
          lastResync = Date.now();
          await this.resync(periodic);
        }
        await this.pollLocal();
        this.expireStale();
        if (failing) this.log("local host poll recovered");
        failing = false;
      } catch (e) {
        if (!failing) this.log(`local host poll failed: ${errText(e)}`);
        failing = true;
      }
      await this.publish();
      await sleep(this.cfg.pollMs);
    }
  }

  /** Stale keys nobody published again within the hold: what was installed from them goes. */
  private expireStale(): void {
    if (this.state.staleCount === 0) return;
    this.serial(() => {
      const before = this.state.staleCount;
      const lines = this.state.expireStale();
      const gone = before - this.state.staleCount;
      if (gone > 0)
        this.log(`${gone} stale keys expired (not published again): ${lines.length} kernel changes`);
      this.apply(lines);
    }, false);
  }

  private async pollLocal(): Promise<void> {
    const fdb = await readBridgeFdb(this.cfg.bridge);
    let set: unknown = {};
    try {
      set = await readLearnedSet();
    } catch (e) {
      // gone (someone flushed the ruleset): make it again, learn from the next packets;
      // meanwhile the MACs are still published
      this.log(`learning set unreadable, recreating: ${errText(e)}`);
      await setupNft(this.cfg.device).catch((e2: unknown) => this.log(`nft setup failed: ${errText(e2)}`));
    }
    const hosts = localHosts(localMacs(fdb, this.cfg.bridge, this.cfg.device), learnedIps(set));
    this.state.setLocal(hosts.macs, hosts.ips.keys());
    this.publisher.setLocal(hosts);
    if (hosts.macs.size !== this.localCounts.macs || hosts.ips.size !== this.localCounts.ips) {
      this.log(`local hosts: ${hosts.macs.size} macs, ${hosts.ips.size} ips`);
      this.statusChanged();
    }
    this.localCounts = { macs: hosts.macs.size, ips: hosts.ips.size };
  }

  // --- status -----------------------------------------------------------------------

  private statusChanged(): void {
    if (this.statusSoon || this.stopping) return;
    this.statusSoon = setTimeout(() => {
      this.statusSoon = undefined;
      void this.writeStatusNow();
    }, 100);
  }

  status(): AgentStatus {
    const s = this.state;
    const c = s.counters;
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      vtep: this.cfg.vtep,
      vni: this.cfg.vni,
      mode: this.cfg.mode,
      registry: this.registryUp ? "up" : "down",
      lease: this.lease ?? null,
      view: { macs: s.macs.size, ips: s.ips.size },
      local: { ...this.localCounts, published: this.publisher.published.size },
      misses: { ...c.misses },
      resolved: { ...c.resolved },
      unknown: { ...c.unknown },
      localMisses: { ...c.local },
      installed: { fdb: s.fdb.size, neigh: s.neigh.size, multicast: s.multicastCount },
      channelErrors: this.channels.bridge.errors + this.channels.ip.errors,
      channelRestarts: this.channels.bridge.restarts + this.channels.ip.restarts,
      registryErrors: this.registryErrors,
      invalidEntries: c.invalidEntries,
      rssBytes: process.memoryUsage.rss(),
      lastEvent: this.lastEvent,
    };
  }

  private writingStatus = false;
  private async writeStatusNow(): Promise<void> {
    if (this.writingStatus) return;
    this.writingStatus = true;
    try {
      await writeStatus(this.cfg.statusFile, this.status());
    } catch (e) {
      process.stderr.write(`vxlan-agent: status file ${this.cfg.statusFile}: ${errText(e)}\n`);
    } finally {
      this.writingStatus = false;
    }
  }
}

function main(argv: string[]): void {
  const path = argv[0];
  if (!path || argv.length > 1) {
    process.stderr.write("usage: node agent.js /etc/vxlan-agent/config.json\n");
    process.exit(2);
  }
  let cfg: AgentConfig;
  try {
    cfg = parseConfig(readFileSync(path, "utf8"));
  } catch (e) {
    process.stderr.write(`vxlan-agent: cannot use config ${path}: ${errText(e)}\n`);
    process.exit(2);
  }
  const agent = new Agent(cfg);
  const stop = () => {
    agent.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("uncaughtException", (e) => {
    // the supervisor restarts us; the resync at start adopts what we installed
    process.stderr.write(`vxlan-agent: fatal: ${e.stack ?? e.message}\n`);
    process.exit(1);
  });
  agent.start().catch((e: unknown) => {
    process.stderr.write(`vxlan-agent: start failed: ${errText(e)}\n`);
    process.exit(1);
  });
}

main(process.argv.slice(2));
