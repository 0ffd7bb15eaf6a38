// etcd v3 through its JSON gateway (grpc-gateway): plain HTTP POSTs, keys and
// values in base64, every int64 (revision, lease ID, TTL) a JSON string, and
// proto3 defaults left out: a PUT event has no "type", an empty range no "kvs",
// a keepalive for a lease that is gone no "TTL".

import { LineSplitter } from "./lines";

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export class EtcdError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly status?: number,
  ) {
    super(message);
    this.name = "EtcdError";
  }
}

/** The lease we wrote with no longer exists: grant a new one and publish again. */
export class LeaseGoneError extends EtcdError {
  override name = "LeaseGoneError";
}

export interface Kv {
  key: string;
  value: string;
  modRevision: string;
  /** "0" or absent when the key has no lease */
  lease: string;
}

export interface WatchEvent {
  type: "put" | "delete";
  key: string;
  /** null for a delete */
  value: string | null;
  modRevision: string;
}

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
const unb64 = (s: unknown) => (typeof s === "string" ? Buffer.from(s, "base64").toString("utf8") : "");
const int64 = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "0");

/** The first key after every key that starts with `prefix` (etcd's prefix range_end), base64. */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, "utf8");
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] ?? 0xff;
    if (b < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = b + 1;
      return end.toString("base64");
    }
  }
  return Buffer.from([0]).toString("base64"); // all 0xff: to the end of the keyspace
}

function parseKv(o: unknown): Kv {
  const kv = (o ?? {}) as Record<string, unknown>;
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    modRevision: int64(kv.mod_revision),
    lease: int64(kv.lease),
  };
}

function errorOf(body: Record<string, unknown>, status: number): EtcdError | undefined {
  // unary errors: {"error": "...", "code": 5, "message": "..."}; stream errors: {"error": {"grpc_code", "message"}}
  const e = body.error;
  if (e === undefined && status < 400) return undefined;
  const inner = typeof e === "object" && e !== null ? (e as Record<string, unknown>) : {};
  const message = String(body.message ?? inner.message ?? (typeof e === "string" ? e : `HTTP ${status}`));
  const code = Number(body.code ?? inner.grpc_code ?? inner.code ?? NaN);
  const C = /lease not found/i.test(message) ? LeaseGoneError : EtcdError;
  return new C(message, Number.isNaN(code) ? undefined : code, status);
}

export interface EtcdOptions {
  fetch?: FetchLike;
  /** per request, and for a watch until its response starts */
  timeoutMs?: number;
}

export class EtcdClient {
  private readonly fetch: FetchLike;
  private readonly timeoutMs: number;

  constructor(
    private readonly base: string,
    opts: EtcdOptions = {},
  ) {
    this.fetch = opts.fetch ?? ((url, init) => fetch(url, init));
    this.timeoutMs = opts.timeoutMs ?? 3000;
  }

  private async call(path: string, body: object): Promise<Record<string, unknown>> {
    const res = await this.fetch(this.base + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EtcdError(
        `${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 120)}`,
        undefined,
        res.status,
      );
    }
    const obj = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const err = errorOf(obj, res.status);
    if (err) {
      err.message = `${path}: ${err.message}`;
      throw err;
    }
    return obj;
  }

  async range(prefix: string): Promise<{ revision: string; kvs: Kv[] }> {
    const r = await this.call("/v3/kv/range", { key: b64(prefix), range_end: prefixRangeEnd(prefix) });
    const header = (r.header ?? {}) as Record<string, unknown>;
    const kvs = Array.isArray(r.kvs) ? r.kvs.map(parseKv) : [];
    return { revision: int64(header.revision), kvs };
  }

  async put(key: string, value: string, lease?: string): Promise<void> {
    await this.call("/v3/kv/put", { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) });
  }

  /** Delete `key` only if it still holds `value` (so never another VTEP's newer claim). */
  async deleteIfValue(key: string, value: string): Promise<boolean> {
    const r = await this.call("/v3/kv/txn", {
      compare: [{ key: b64(key), target: "VALUE", result: "EQUAL", value: b64(value) }],
      success: [{ request_delete_range: { key: b64(key) } }],
    });
    return r.succeeded === true;
  }

  async grant(ttl: number): Promise<{ id: string; ttl: number }> {
    const r = await this.call("/v3/lease/grant", { TTL: ttl });
    const id = int64(r.ID);
    if (id === "0") throw new EtcdError("/v3/lease/grant: no lease ID in the answer");
    return { id, ttl: Number(int64(r.TTL)) };
  }

  /** Remaining TTL in seconds; 0 when the lease is gone (expired or revoked). */
  async keepalive(id: string): Promise<number> {
    const r = await this.call("/v3/lease/keepalive", { ID: id });
    const result = (r.result ?? {}) as Record<string, unknown>;
    return Number(int64(result.TTL));
  }

  /**
   * Stream the changes under `prefix` from `startRevision` until `signal`
   * aborts or the stream breaks. Resolves only on abort; any end of the
   * stream otherwise is an error, so the caller reads the range again.
   */
  async watch(
    prefix: string,
    startRevision: string,
    onEvents: (events: WatchEvent[], revision: string) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const ctrl = new AbortController();
    const abort = () => ctrl.abort();
    if (signal.aborted) return;
    signal.addEventListener("abort", abort, { once: true });
    const connectTimer = setTimeout(abort, this.timeoutMs);
    try {
      const res = await this.fetch(this.base + "/v3/watch", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          create_request: {
            key: b64(prefix),
            range_end: prefixRangeEnd(prefix),
            start_revision: startRevision,
          },
        }),
        signal: ctrl.signal,
      });
      clearTimeout(connectTimer);
      if (!res.ok || !res.body) throw new EtcdError(`/v3/watch: HTTP ${res.status}`, undefined, res.status);
      const lines = new LineSplitter();
      const reader = res.body.getReader();
      // a pending read must end on abort whatever the body's source does
      ctrl.signal.addEventListener("abort", () => void reader.cancel().catch(() => undefined), {
        once: true,
      });
      for (;;) {
        const { done, value } = await reader.read();
        const batch = done ? lines.end() : lines.push(value);
        for (const line of batch) this.watchLine(line, onEvents);
        if (done) break;
      }
      throw new EtcdError("/v3/watch: stream ended");
    } catch (e) {
      if (signal.aborted) return;
      if (ctrl.signal.aborted && !(e instanceof EtcdError))
        throw new EtcdError("/v3/watch: no answer in time");
      throw e;
    } finally {
      clearTimeout(connectTimer);
      signal.removeEventListener("abort", abort);
    }
  }

  private watchLine(line: string, onEvents: (events: WatchEvent[], revision: string) => void): void {
    if (line.trim() === "") return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new EtcdError(`/v3/watch: not JSON: ${line.slice(0, 120)}`);
    }
    const err = errorOf(msg, 200);
    if (err) throw err;
    const result = (msg.result ?? {}) as Record<string, unknown>;
    if (result.canceled === true) {
      const why = result.compact_revision
        ? `compacted at ${int64(result.compact_revision)}`
        : result.cancel_reason;
      throw new EtcdError(`/v3/watch: canceled: ${String(why ?? "no reason given")}`);
    }
    if (!Array.isArray(result.events) || result.events.length === 0) return; // created, progress
    const header = (result.header ?? {}) as Record<string, unknown>;
    const events = result.events.map((ev: unknown): WatchEvent => {
      const e = (ev ?? {}) as Record<string, unknown>;
      const kv = parseKv(e.kv);
      const del = e.type === "DELETE";
      return {
        type: del ? "delete" : "put",
        key: kv.key,
        value: del ? null : kv.value,
        modRevision: kv.modRevision,
      };
    });
    onEvents(events, int64(header.revision));
  }
}
