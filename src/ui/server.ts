/**
 * The live view's web server: the page, the topology picture, and one
 * Server-Sent Events stream per browser fed from the shared LiveLab. Listens
 * on 127.0.0.1 only and answers only requests addressed to it by that name
 * (or localhost), so no other machine, and no web page that rebinds a DNS
 * name to 127.0.0.1, reads the lab. node:http is all it needs.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { topologySvg } from "../graph/svg";
import type { Topology } from "../model";
import { LiveLab, type LiveOptions, type UiEvent } from "./live";
import { uplinksOf } from "./state";

export const DEFAULT_PORT = 8157;
export const LOOPBACK = "127.0.0.1";

export interface UiServer {
  url: string;
  address: AddressInfo;
  live: LiveLab;
  close(): Promise<void>;
}

/** The static facts the page draws its frame from. */
export function labInfo(t: Topology, intervalMs: number) {
  return {
    stack: t.stack,
    variant: t.variant,
    vni: t.vxlan.vni,
    device: t.vxlan.device,
    bridge: t.vxlan.bridge,
    intervalMs,
    vteps: t.nodes
      .filter((n) => n.kind === "vtep")
      .map((n) => ({
        name: n.name,
        loopback: n.loopback ?? "",
        uplinks: uplinksOf(t, n.name),
        hosts: t.hosts.filter((h) => h.vtep === n.name).map((h) => h.name),
      })),
    hosts: t.hosts.map((h) => ({ name: h.name, vtep: h.vtep, mac: h.mac, address: h.address })),
    agents: t.registry?.agents ?? {},
  };
}

const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "page.html", type: "text/html; charset=utf-8" },
  "/page.js": { file: "page.js", type: "text/javascript; charset=utf-8" },
  "/page.css": { file: "page.css", type: "text/css; charset=utf-8" },
};

/** A browser that stops reading is dropped rather than buffered for without end. */
const MAX_BUFFERED = 4 * 1024 * 1024;

export function allowedHost(host: string | undefined, port: number): boolean {
  return host === `${LOOPBACK}:${port}` || host === `localhost:${port}`;
}

export async function startUiServer(
  t: Topology,
  opts: LiveOptions & { port?: number } = {},
): Promise<UiServer> {
  const intervalMs = opts.intervalMs ?? 300;
  const live = new LiveLab(t, { ...opts, intervalMs });
  const svg = topologySvg(t);
  const info = JSON.stringify(labInfo(t, intervalMs));
  const streams = new Set<ServerResponse>();
  let port = 0;

  const send = (res: ServerResponse, type: string, body: string) =>
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    const write = (e: UiEvent) => {
      if (res.writableLength > MAX_BUFFERED) return res.destroy();
      res.write(`event: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };
    res.write(`retry: 1000\n\n`);
    for (const e of live.snapshot()) write(e);
    const unsubscribe = live.subscribe(write);
    // A comment now and then keeps proxies and idle timers from closing a quiet stream.
    const keepalive = setInterval(() => res.write(": keepalive\n\n"), 15_000);
    streams.add(res);
    const done = () => {
      clearInterval(keepalive);
      unsubscribe();
      streams.delete(res);
    };
    req.on("close", done);
  };

  const server = createServer((req, res) => {
    if (!allowedHost(req.headers.host, port)) {
      res
        .writeHead(421, { "content-type": "text/plain" })
        .end(`this server answers to ${LOOPBACK}:${port} only\n`);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = new URL(req.url ?? "/", `http://${LOOPBACK}`).pathname;
    const asset = ASSETS[path];
    if (asset) return send(res, asset.type, readFileSync(join(__dirname, asset.file), "utf8"));
    if (path === "/topology.svg") return send(res, "image/svg+xml; charset=utf-8", svg);
    if (path === "/api/lab") return send(res, "application/json", info);
    if (path === "/api/state") {
      const state = { openReaders: live.openReaders, browsers: live.browsers, events: live.snapshot() };
      return send(res, "application/json", JSON.stringify(state));
    }
    if (path === "/events") {
      // A HEAD asks whether the stream is there; it must not hold readers open.
      if (req.method === "HEAD") return send(res, "text/event-stream; charset=utf-8", "");
      return events(req, res);
    }
    res.writeHead(404, { "content-type": "text/plain" }).end(`no ${path} here\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) => {
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`port ${opts.port} on ${LOOPBACK} is in use; choose another with --port`)
          : err,
      );
    });
    server.listen({ host: LOOPBACK, port: opts.port ?? DEFAULT_PORT }, resolve);
  });
  const address = server.address() as AddressInfo;
  port = address.port;

  let closing: Promise<void> | undefined;
  const close = async () => {
    for (const res of streams) res.end();
    await live.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  return {
    url: `http://${LOOPBACK}:${port}/`,
    address,
    live,
    // Once, however often it is asked.
    close: () => (closing ??= close()),
  };
}
