import { describe, expect, it } from "vitest";
import { EtcdClient, EtcdError, LeaseGoneError, prefixRangeEnd, WatchEvent } from "../../src/agent/registry";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const header = {
  cluster_id: "14841639068965178418",
  member_id: "10276657743932975437",
  revision: "7",
  raft_term: "2",
};

interface Call {
  url: string;
  body: Record<string, unknown>;
}

function fakeFetch(answer: (c: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const c = { url, body: JSON.parse(String(init.body)) as Record<string, unknown> };
    calls.push(c);
    return answer(c);
  };
  return { calls, client: new EtcdClient("http://[::1]:2379", { fetch, timeoutMs: 500 }) };
}
const json = (o: unknown, status = 200) => new Response(JSON.stringify(o), { status });

function streamOf(chunks: string[], close: boolean) {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (i < chunks.length) ctrl.enqueue(new TextEncoder().encode(chunks[i++]));
      else if (close) ctrl.close();
      // else: stay open, like a live watch
    },
  });
}

describe("etcd client", { timeout: 5000 }, () => {
  it("ranges a prefix with base64 keys and int64 strings, and an empty range without kvs", async () => {
    const { calls, client } = fakeFetch((c) =>
      c.body.key === b64("/vxlan-lab/100/")
        ? json({
            header,
            kvs: [
              {
                key: b64("/vxlan-lab/100/mac/02:00:00:00:00:21"),
                create_revision: "3",
                mod_revision: "5",
                version: "2",
                value: b64('{"vtep":"2001:db8:2::1"}'),
                lease: "7587899122168089100",
              },
            ],
            count: "1",
          })
        : json({ header }),
    );
    const r = await client.range("/vxlan-lab/100/");
    expect(calls[0]!.url).toBe("http://[::1]:2379/v3/kv/range");
    expect(calls[0]!.body.range_end).toBe(b64("/vxlan-lab/1000"));
    expect(r.revision).toBe("7");
    expect(r.kvs).toEqual([
      {
        key: "/vxlan-lab/100/mac/02:00:00:00:00:21",
        value: '{"vtep":"2001:db8:2::1"}',
        modRevision: "5",
        lease: "7587899122168089100", // beyond 2^53: kept exact as a string
      },
    ]);
    expect((await client.range("/nothing/")).kvs).toEqual([]);
  });

  it("computes prefix range ends on bytes", () => {
    expect(prefixRangeEnd("a/")).toBe(b64("a0"));
    expect(Buffer.from(prefixRangeEnd("a\u00ff"), "base64")).toEqual(Buffer.from([0x61, 0xc3, 0xc0]));
    expect(prefixRangeEnd("")).toBe("AA==");
  });

  it("puts with a lease, grants, keeps alive, and sees a gone lease as TTL 0", async () => {
    const { calls, client } = fakeFetch((c) => {
      if (c.url.endsWith("/v3/lease/grant")) return json({ header, ID: "7587899122168089096", TTL: "10" });
      if (c.url.endsWith("/v3/lease/keepalive")) {
        return c.body.ID === "7587899122168089096"
          ? json({ result: { header, ID: c.body.ID, TTL: "9" } })
          : json({ result: { header, ID: c.body.ID } }); // proto3 omits TTL 0
      }
      return json({ header });
    });
    expect(await client.grant(10)).toEqual({ id: "7587899122168089096", ttl: 10 });
    await client.put("/k", "v", "7587899122168089096");
    expect(calls[1]!.body).toEqual({ key: b64("/k"), value: b64("v"), lease: "7587899122168089096" });
    expect(await client.keepalive("7587899122168089096")).toBe(9);
    expect(await client.keepalive("1")).toBe(0);
  });

  it("deletes only if the value is unchanged (txn compare)", async () => {
    const { calls, client } = fakeFetch((c) =>
      (c.body.compare as { value: string }[])[0]!.value === b64("mine")
        ? json({ header, succeeded: true, responses: [{ response_delete_range: { deleted: "1" } }] })
        : json({ header }),
    );
    expect(await client.deleteIfValue("/k", "mine")).toBe(true);
    expect(await client.deleteIfValue("/k", "theirs")).toBe(false);
    expect(calls[0]!.url).toMatch(/\/v3\/kv\/txn$/);
    expect(calls[0]!.body.success).toEqual([{ request_delete_range: { key: b64("/k") } }]);
  });

  it("turns gateway errors into EtcdError, a missing lease into LeaseGoneError", async () => {
    const { client } = fakeFetch((c) =>
      c.body.lease
        ? json(
            {
              error: "etcdserver: requested lease not found",
              code: 5,
              message: "etcdserver: requested lease not found",
            },
            404,
          )
        : new Response("<html>bad gateway</html>", { status: 502 }),
    );
    const gone = await client.put("/k", "v", "12345").catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(LeaseGoneError);
    expect((gone as EtcdError).code).toBe(5);
    await expect(client.put("/k", "v")).rejects.toThrow(/HTTP 502, not JSON/);
  });

  it("watches from a revision, with events split across chunks, PUT without type and DELETE with it", async () => {
    const lines = [
      JSON.stringify({ result: { header, created: true } }),
      JSON.stringify({
        result: {
          header: { ...header, revision: "8" },
          events: [
            {
              kv: {
                key: b64("/p/mac/02:00:00:00:00:21"),
                mod_revision: "8",
                value: b64('{"vtep":"x"}'),
                lease: "7",
              },
            },
          ],
        },
      }),
      JSON.stringify({
        result: {
          header: { ...header, revision: "9" },
          events: [{ type: "DELETE", kv: { key: b64("/p/mac/02:00:00:00:00:21"), mod_revision: "9" } }],
        },
      }),
    ];
    const all = lines.join("\n") + "\n";
    const chunks = [all.slice(0, 7), all.slice(7, 80), all.slice(80, 81), all.slice(81)];
    const { calls, client } = fakeFetch(() => new Response(streamOf(chunks, true)));
    const got: [WatchEvent[], string][] = [];
    const ctrl = new AbortController();
    await expect(client.watch("/p/", "8", (evs, rev) => got.push([evs, rev]), ctrl.signal)).rejects.toThrow(
      /stream ended/,
    );
    expect(calls[0]!.body).toEqual({
      create_request: { key: b64("/p/"), range_end: b64("/p0"), start_revision: "8" },
    });
    expect(got).toEqual([
      [[{ type: "put", key: "/p/mac/02:00:00:00:00:21", value: '{"vtep":"x"}', modRevision: "8" }], "8"],
      [[{ type: "delete", key: "/p/mac/02:00:00:00:00:21", value: null, modRevision: "9" }], "9"],
    ]);
  });

  it("ends a watch quietly on abort, and fails on cancel (compaction)", async () => {
    const open = fakeFetch(
      () => new Response(streamOf([JSON.stringify({ result: { header, created: true } }) + "\n"], false)),
    );
    const ctrl = new AbortController();
    const w = open.client.watch("/p/", "8", () => undefined, ctrl.signal);
    setTimeout(() => ctrl.abort(), 20);
    await expect(w).resolves.toBeUndefined();

    const cancel = JSON.stringify({ result: { header, canceled: true, compact_revision: "5" } }) + "\n";
    const compacted = fakeFetch(() => new Response(streamOf([cancel], false)));
    await expect(
      compacted.client.watch("/p/", "3", () => undefined, new AbortController().signal),
    ).rejects.toThrow(/compacted at 5/);
  });

  it("gives up on a watch that gets no answer in time", async () => {
    const started = Date.now();
    const slow = new EtcdClient("http://x", {
      timeoutMs: 50,
      fetch: (_url, init) =>
        new Promise<Response>((_, reject) =>
          init.signal?.addEventListener("abort", () => reject(new Error("aborted"))),
        ),
    });
    await expect(slow.watch("/p/", "1", () => undefined, new AbortController().signal)).rejects.toThrow(
      /no answer in time/,
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
