// etcd v3 through its JSON gateway (grpc-gateway): plain HTTP POSTs, keys and
// values in base64, every int64 (revision, lease ID, TTL) a JSON string, and
// proto3 defaults left out: a PUT event has no "type", an empty range no "kvs",
// a keepalive for a lease that is gone no "TTL".

import { z } from "zod";
import { describeIssues } from "../util/json";
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

// ---- the JSON gateway's answers, the parts we read ----
// int64 fields come as decimal strings (numbers from some gateways); bytes as base64; absent means zero.
const int64 = z.union([z.string(), z.number()]).transform(String).optional().default("0");
const bytes = z
  .string()
  .transform((s) => Buffer.from(s, "base64").toString("utf8"))
  .optional()
  .default("");
const KvSchema = z
  .looseObject({ key: bytes, value: bytes, mod_revision: int64, lease: int64 })
  .transform((kv): Kv => ({ key: kv.key, value: kv.value, modRevision: kv.mod_revision, lease: kv.lease }));
const HeaderSchema = z.looseObject({ revision: int64 }).optional().default({ revision: "0" });
/** unary errors: {"error": "...", "code": 5, "message": "..."}; stream errors: {"error": {"grpc_code", "message"}} */
const ErrorSchema = z.looseObject({
  error: z
    .union([
      z.string(),
      z.looseObject({
        message: z.string().optional(),
        grpc_code: z.number().optional(),
        code: z.number().optional(),
      }),
    ])
    .optional(),
  message: z.string().optional(),
  code: z.number().optional(),
});
const RangeSchema = z.looseObject({ header: HeaderSchema, kvs: z.array(KvSchema).optional().default([]) });
const TxnSchema = z.looseObject({ succeeded: z.boolean().optional() });
const GrantSchema = z.looseObject({ ID: int64, TTL: int64 });
const KeepaliveSchema = z.looseObject({ result: z.looseObject({ TTL: int64 }).optional() });
const WatchSchema = z.looseObject({
  result: z
    .looseObject({
      header: HeaderSchema,
      canceled: z.boolean().optional(),
      compact_revision: int64,
      cancel_reason: z.string().optional(),
      events: z
        .array(z.looseObject({ type: z.string().optional(), kv: KvSchema }))
        .optional()
        .default([]),
    })
    .optional(),
});

/** The body as `schema` says, or an EtcdError naming the path and what did not fit. */
function shaped<S extends z.ZodType>(schema: S, body: unknown, path: string, status: number): z.output<S> {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  throw new EtcdError(
    `${path}: unexpected answer: ${describeIssues(r.error.issues).join("; ")}`,
    undefined,
    status,
  );
}

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

function errorOf(body: unknown, status: number): EtcdError | undefined {
  const r = ErrorSchema.safeParse(body);
  const b = r.success ? r.data : {};
  const e = b.error;
  if (e === undefined && status < 400) return undefined;
  const inner = typeof e === "object" ? e : {};
  const message = b.message ?? inner.message ?? (typeof e === "string" ? e : `HTTP ${status}`);
  const code = b.code ?? inner.grpc_code ?? inner.code;
  const C = /lease not found/i.test(message) ? LeaseGoneError : EtcdError;
  return new C(message, code, status);
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

  private async call<S extends z.ZodType>(path: string, body: object, schema: S): Promise<z.output<S>> {
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
    const err = errorOf(parsed, res.status);
    if (err) {
      err.message = `${path}: ${err.message}`;
      throw err;
    }
    return shaped(schema, parsed, path, res.status);
  }

  async range(prefix: string): Promise<{ revision: string; kvs: Kv[] }> {
    const body = { key: b64(prefix), range_end: prefixRangeEnd(prefix) };
    const r = await this.call("/v3/kv/range", body, RangeSchema);
    return { revision: r.header.revision, kvs: r.kvs };
  }

  async put(key: string, value: string, lease?: string): Promise<void> {
    const body = { key: b64(key), value: b64(value), ...(lease ? { lease } : {}) };
    await this.call("/v3/kv/put", body, z.unknown());
  }

  /** Delete `key` only if it still holds `value` (so never another VTEP's newer claim). */
  async deleteIfValue(key: string, value: string): Promise<boolean> {
    const r = await this.call(
      "/v3/kv/txn",
      {
        compare: [{ key: b64(key), target: "VALUE", result: "EQUAL", value: b64(value) }],
        success: [{ request_delete_range: { key: b64(key) } }],
      },
      TxnSchema,
    );
    return r.succeeded === true;
  }

  async grant(ttl: number): Promise<{ id: string; ttl: number }> {
    const r = await this.call("/v3/lease/grant", { TTL: ttl }, GrantSchema);
    if (r.ID === "0") throw new EtcdError("/v3/lease/grant: no lease ID in the answer");
    return { id: r.ID, ttl: Number(r.TTL) };
  }

  /** Remaining TTL in seconds; 0 when the lease is gone (expired or revoked). */
  async keepalive(id: string): Promise<number> {
    const r = await this.call("/v3/lease/keepalive", { ID: id }, KeepaliveSchema);
    return Number(r.result?.TTL ?? "0");
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
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      throw new EtcdError(`/v3/watch: not JSON: ${line.slice(0, 120)}`);
    }
    const err = errorOf(msg, 200);
    if (err) throw err;
    const result = shaped(WatchSchema, msg, "/v3/watch", 200).result;
    if (result?.canceled === true) {
      const why =
        result.compact_revision !== "0" ? `compacted at ${result.compact_revision}` : result.cancel_reason;
      throw new EtcdError(`/v3/watch: canceled: ${why ?? "no reason given"}`);
    }
    if (!result || result.events.length === 0) return; // created, progress
    const events = result.events.map((e): WatchEvent => {
      const del = e.type === "DELETE";
      return {
        type: del ? "delete" : "put",
        key: e.kv.key,
        value: del ? null : e.kv.value,
        modRevision: e.kv.modRevision,
      };
    });
    onEvents(events, result.header.revision);
  }
}
