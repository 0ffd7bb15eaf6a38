/**
 * The live view end to end: real labs (unicast-static-default, then
 * unicast-dynamic-nd; 3 VTEPs), the server in this process, the page in
 * Debian's headless chromium. Screenshots go to test-output/ (not committed).
 */
import { mkdirSync } from "node:fs";
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumPath } from "../../src/bootstrap/browser";
import { stackTopology } from "../../src/cli/check";
import { getNode, type Topology } from "../../src/model";
import { ALL_ZEROS, bareAddress, loopbackOf, remoteHosts, remoteVteps } from "../../src/overlay/commands";
import { READER_TAG } from "../../src/ui/frames";
import { startUiServer, type UiServer } from "../../src/ui/server";
import { REPO_ROOT } from "../../src/util/paths";
import { exec, ok, teardown, up } from "./lab";

const OUT = join(REPO_ROOT, "test-output");

let t: Topology;
let ui: UiServer;
let browser: Browser;

const run = async (node: string, argv: string[]) => exec(getNode(t, node).container, argv);

/** Polls until f's value satisfies ok (bounded); the last value is returned either way. */
async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    v = await f();
  }
  return v;
}

/**
 * Reader loops running in a node right now, found by their `$0`. A loop's
 * own subshells (a pipe in a section's command) carry the same command line
 * for a moment after they fork: a process whose parent is a reader is not
 * another reader. (The tag is split in the script so this sh does not match.)
 */
async function readersIn(node: string): Promise<number> {
  const half = Math.floor(READER_TAG.length / 2);
  const script = [
    `pids=$(pgrep -f "$(printf %s%s '${READER_TAG.slice(0, half)}' '${READER_TAG.slice(half)}')")`,
    'for p in $pids; do pp=$(cut -d" " -f4 "/proc/$p/stat" 2>/dev/null); case " $pids " in *" $pp "*) ;; *) echo "$p";; esac; done',
  ].join("\n");
  const r = await run(node, ["sh", "-c", script]);
  return r.stdout.split("\n").filter((l) => l.trim()).length;
}

/** A page on the live view, with its tables filled for every VTEP. */
async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1600, height: 1200 });
  await page.goto(ui.url);
  for (const v of t.nodes.filter((n) => n.kind === "vtep")) {
    await page.waitForSelector(`section.vtep[data-vtep="${v.name}"] [data-table="fdb"] tr[data-mac]`);
  }
  return page;
}

/** The S1 rows of the VXLAN device's FDB, as the page shows them: MAC, destination, VTEP name. */
const s1VxlanFdb = (page: Page) =>
  page.$$eval('section.vtep[data-vtep="S1"] [data-table="fdb"] tr[data-kind="vxlan"]', (rows) =>
    rows.map(
      (r) =>
        `${r.getAttribute("data-mac")} -> ${r.getAttribute("data-dst")} (${r.querySelector(".vtep-name")?.textContent?.trim()})`,
    ),
  );

const s1VxlanTx = (page: Page) =>
  page.$eval('section.vtep[data-vtep="S1"] [data-table="counters"] tr[data-iface="vxlan100"]', (r) =>
    Number(r.getAttribute("data-tx")),
  );

beforeAll(async () => {
  browser = await puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Root in a container: no user namespaces for the sandbox, a small /dev/shm.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
  mkdirSync(OUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** Brings the stack up and starts the server on a free port; the returned teardown undoes both. */
async function labWithUi(stack: string, variant: string): Promise<void> {
  ok(await up(stack, { variant }), `pulumi up ${stack}`);
  t = await stackTopology(stack);
  ui = await startUiServer(t, { port: 0, idleStopMs: 1000 });
}

async function stopLab(stack: string): Promise<void> {
  await ui?.close();
  await teardown(stack);
}

describe("live view of unicast-static-default", () => {
  const stack = "ui-e2e";
  beforeAll(async () => {
    await labWithUi(stack, "unicast-static-default");
    // The variant learns MACs from traffic: H1 talks to every other host, whose replies teach S1.
    for (const h of remoteHosts(t, "S1")) {
      let r = await run("H1", ["ping", "-6", "-c1", "-W2", bareAddress(h)]);
      for (let i = 0; i < 5 && r.code !== 0; i++)
        r = await run("H1", ["ping", "-6", "-c1", "-W2", bareAddress(h)]);
      ok(r, `ping ${h.name} from H1`);
    }
  });
  afterAll(() => stopLab(stack));

  it("listens on 127.0.0.1 only: not on the machine's other addresses, and not for another Host name", async () => {
    expect(ui.address.address).toBe("127.0.0.1");
    expect(ui.url).toBe(`http://127.0.0.1:${ui.address.port}/`);
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && !a.internal && a.family === "IPv4")?.address;
    expect(other, "a non-loopback address to try").toBeDefined();
    const get = (host: string, headers: Record<string, string> = {}) =>
      new Promise<number | string>((resolve) => {
        const req = request({ host, port: ui.address.port, path: "/api/lab", headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
        req.end();
      });
    expect(await get(other ?? "")).toBe("ECONNREFUSED");
    expect(await get("127.0.0.1")).toBe(200);
    expect(await get("127.0.0.1", { host: `rebound.example:${ui.address.port}` })).toBe(421);
  });

  it("shows in S1's FDB every remote host's MAC at its VTEP's loopback, and a flood entry per remote VTEP", async () => {
    const page = await openPage();
    const expected = [
      ...remoteVteps(t, "S1").map((v) => `${ALL_ZEROS} -> ${v.loopback} (${v.name})`),
      ...remoteHosts(t, "S1").map((h) => `${h.mac} -> ${loopbackOf(t, h.vtep)} (${h.vtep})`),
    ];
    // Learned entries may still be on their way when the tables first fill.
    const rows = await until(
      () => s1VxlanFdb(page),
      (r) => expected.every((e) => r.includes(e)),
    );
    expect(rows.sort()).toEqual(expected.sort());
    await page.screenshot({ path: join(OUT, "ui.png"), fullPage: true });
    await (await page.$('section.vtep[data-vtep="S1"]'))?.screenshot({ path: join(OUT, "ui-S1.png") });
    await page.close();
  });

  it("shows S1's VXLAN packet counter rising while H1 pings H4", async () => {
    const page = await openPage();
    const before = await s1VxlanTx(page);
    const h4 = t.hosts.find((h) => h.vtep === "S3");
    ok(await run("H1", ["ping", "-6", "-c5", "-i0.2", bareAddress(h4!)]), "ping H4");
    const after = await until(
      () => s1VxlanTx(page),
      (n) => n >= before + 5,
    );
    // Five echo requests left S1 through vxlan100.
    expect(after).toBeGreaterThanOrEqual(before + 5);
    await page.close();
  });

  it("reads each node once, however many browsers look: two tabs, one reader loop in S1; none once both close", async () => {
    const [a, b] = [await openPage(), await openPage()];
    expect(ui.live.browsers).toBe(2);
    expect(ui.live.openReaders).toBe(3);
    expect(await readersIn("S1")).toBe(1);
    expect(await readersIn("S2")).toBe(1);
    await a.close();
    expect(await readersIn("S1")).toBe(1);
    await b.close();
    // Nobody looks: the readers stop after the server's idle delay (1 s here).
    expect(
      await until(
        () => readersIn("S1"),
        (n) => n === 0,
      ),
    ).toBe(0);
    expect(ui.live.openReaders).toBe(0);
  });

  it("ends the reader loops in the nodes when the server stops", async () => {
    const page = await openPage();
    expect(await readersIn("S1")).toBe(1);
    await ui.close();
    await page.close();
    expect([await readersIn("S1"), await readersIn("S2"), await readersIn("S3")]).toEqual([0, 0, 0]);
  });
});

describe("live view of unicast-dynamic-nd", () => {
  const stack = "ui-e2e-dyn";
  beforeAll(() => labWithUi(stack, "unicast-dynamic-nd"));
  afterAll(() => stopLab(stack));

  /** The agent events the page lists for S1, as "kind: text". */
  const s1Events = (page: Page) =>
    page.$$eval("#events tr", (rows) =>
      rows
        .filter((r) => r.children[1]?.textContent === "S1")
        .map((r) => `${r.getAttribute("data-kind")}: ${r.children[3]?.textContent}`),
    );

  it("shows S1's agent resolving a miss for a new address of H4, and counting one for an unknown address", async () => {
    const page = await openPage();
    const h4 = t.hosts.find((h) => h.name === "H4")!;
    // A new address on H4, announced the way DAD would: S3's agent learns and publishes it.
    const fresh = "2001:db8:ff::88";
    const nobody = "2001:db8:ff::77";
    ok(await run("H4", ["ip", "-6", "addr", "add", `${fresh}/64`, "dev", "eth0", "nodad"]), "add address");
    ok(await run("H4", ["ping", "-6", "-c1", "-W1", "-I", fresh, "ff02::1%eth0"]), "announce");
    // H1 asks for it until S1's agent has installed the answer (the first solicitation is the miss).
    await until(
      async () => (await run("H1", ["ping", "-6", "-c1", "-W1", fresh])).code,
      (code) => code === 0,
    );
    await run("H1", ["ping", "-6", "-c1", "-W1", nobody]);
    const want = [
      `install: l3 miss ${fresh} -> ${h4.mac}: installed`,
      `unknown: l3 miss ${nobody}: unknown, ignored`,
    ];
    const events = await until(
      () => s1Events(page),
      (e) => want.every((w) => e.includes(w)),
    );
    expect(want.filter((w) => !events.includes(w))).toEqual([]);
    // And S1's neighbour table on the page holds what the agent installed.
    const neigh = await page.$$eval('section.vtep[data-vtep="S1"] [data-table="neigh"] tr[data-ip]', (rows) =>
      rows.map(
        (r) => `${r.getAttribute("data-ip")} ${r.getAttribute("data-lladdr")} ${r.children[4]?.textContent}`,
      ),
    );
    expect(neigh).toContain(`${fresh} ${h4.mac} extern_learn`);
    await page.screenshot({ path: join(OUT, "ui-dynamic.png"), fullPage: true });
    await page.close();
  });
});
