/* global document, fetch, EventSource, setInterval */
// The live view in the browser: builds one card per VTEP from /api/lab, then
// fills it from the server's event stream (/events). No framework: the tables
// are small and are redrawn whole when their node's state changes.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== undefined && c !== null) e.append(c);
  return e;
}

const td = (text, cls) => el("td", { class: cls, text: text ?? "" });
const withTitle = (e, title) => (e.setAttribute("title", title), e);
const num = (n) => (n === undefined ? "" : n.toLocaleString("en-US"));

let lab;
/** node -> {at, counters by iface} samples of the last second or so, for rates. */
const samples = new Map();
/** node -> time of its last frame (changed or not). */
const lastFrame = new Map();
/** node -> its last state, redrawn on a tick so rates fall to 0 when traffic stops. */
const lastView = new Map();
/** table element -> keys of its rows at the last redraw, to flash the new ones. */
const seenKeys = new WeakMap();

function card(v) {
  const agent = lab.agents[v.name];
  return el(
    "section",
    { class: "vtep", "data-vtep": v.name },
    el(
      "h2",
      {},
      v.name,
      el("small", { text: `lo ${v.loopback} · hosts ${v.hosts.join(", ") || "none"}` }),
      el("span", { class: "reader", "data-state": "starting", text: "starting reader" }),
    ),
    el("div", { class: "error", "data-errors": "" }),
    el("h3", { text: "Packet counters" }),
    el(
      "table",
      { "data-table": "counters" },
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ...["interface", "to", "rx packets", "rx/s", "tx packets", "tx/s", "drops"].map((h, i) =>
            el("th", { class: i >= 2 ? "num" : undefined, text: h }),
          ),
        ),
      ),
      el("tbody"),
    ),
    el("h3", {}, "FDB ", el("code", { text: `bridge fdb show dev ${lab.device}` })),
    table("fdb", ["MAC", "host", "destination VTEP", "state", "flags"]),
    el("h3", {}, "IPv6 neighbours ", el("code", { text: `ip -6 neigh show dev ${lab.device}` })),
    table("neigh", ["IPv6 address", "host", "lladdr", "state", "flags"]),
    lab.variant === "evpn"
      ? el(
          "div",
          {},
          el("h3", {}, "EVPN MACs ", el("code", { text: `show evpn mac vni ${lab.vni}` })),
          table("evpn", ["MAC", "host", "type", "VTEP or port", "", "seq local/remote"]),
          el("h3", {}, "SVI neighbours ", el("code", { text: `ip -6 neigh show dev ${lab.bridge}` })),
          table("svi", ["IPv6 address", "host", "lladdr", "state", "flags"]),
        )
      : undefined,
    agent
      ? el(
          "div",
          { class: "agent", "data-agent": agent },
          el("h3", {}, "Agent ", el("code", { text: agent })),
          el("dl"),
          el("div", { class: "error", "data-agent-error": "" }),
        )
      : undefined,
  );
}

function table(name, heads) {
  return el(
    "table",
    { "data-table": name },
    el("thead", {}, el("tr", {}, ...heads.map((h) => el("th", { text: h })))),
    el("tbody"),
  );
}

/** Redraws a table's body; rows whose key was not there before flash. */
function fill(tableEl, rows, empty) {
  const body = $("tbody", tableEl);
  const before = seenKeys.get(tableEl);
  const keys = new Set();
  body.replaceChildren();
  for (const { key, cells, cls, data, group } of rows) {
    if (group) {
      body.append(el("tr", { class: "group" }, el("th", { colspan: 9, text: group })));
      continue;
    }
    keys.add(key);
    const tr = el(
      "tr",
      { class: [cls, before && !before.has(key) ? "new" : ""].join(" ").trim() || undefined, ...data },
      ...cells,
    );
    body.append(tr);
  }
  if (keys.size === 0) body.append(el("tr", { class: "empty" }, el("td", { colspan: 9, text: empty })));
  seenKeys.set(tableEl, keys);
}

function rate(node, iface, dir, c, at) {
  const hist = samples.get(node) ?? [];
  const old = hist.find((s) => at - s.at >= 900) ?? hist[0];
  const prev = old?.counters[iface];
  if (!prev || at === old.at) return "";
  const n = ((c[dir] - prev[dir]) * 1000) / (at - old.at);
  return n < 0 ? "" : n.toFixed(n < 10 ? 1 : 0);
}

function showVtep(v) {
  const c = $(`section.vtep[data-vtep="${v.node}"]`);
  if (!c) return;
  lastFrame.set(v.node, v.at);
  lastView.set(v.node, v);
  const errs = Object.entries(v.errors).map(([k, e]) => `${k}: ${e}`);
  $("[data-errors]", c).textContent = errs.join("\n");

  const ifaces = [
    ...(v.vxlan ? [{ iface: lab.device, peer: "VXLAN", ...v.vxlan }] : []),
    ...v.uplinks.map((u) => ({ ...u, peer: `${u.peer} (uplink)` })),
  ];
  fill(
    $('[data-table="counters"]', c),
    ifaces.map((i) => ({
      key: i.iface,
      data: { "data-iface": i.iface, "data-rx": i.rxPackets, "data-tx": i.txPackets },
      cells: [
        td(i.iface, "addr"),
        td(i.peer, i.peer === "VXLAN" ? "name" : "flags"),
        withTitle(td(num(i.rxPackets), "num"), `${num(i.rxBytes)} bytes`),
        td(rate(v.node, i.iface, "rxPackets", i, v.at), "num"),
        withTitle(td(num(i.txPackets), "num"), `${num(i.txBytes)} bytes`),
        td(rate(v.node, i.iface, "txPackets", i, v.at), "num"),
        withTitle(
          td(num(i.rxDropped + i.txDropped), "num"),
          `rx ${i.rxDropped}, tx ${i.txDropped}; errors rx ${i.rxErrors}, tx ${i.txErrors}`,
        ),
      ],
    })),
    "no counters",
  );
  const hist = samples.get(v.node) ?? [];
  hist.push({ at: v.at, counters: Object.fromEntries(ifaces.map((i) => [i.iface, i])) });
  while (hist.length > 2 && v.at - hist[1].at >= 900) hist.shift();
  samples.set(v.node, hist);

  const fdbRow = (r) => ({
    key: `${r.table} ${r.mac} ${r.dst ?? ""}`,
    cls: r.mac === "00:00:00:00:00:00" ? "flood" : undefined,
    data: { "data-mac": r.mac, "data-dst": r.dst, "data-kind": r.table },
    cells: [
      td(r.mac, "addr"),
      td(r.host ?? (r.table === "bridge" && r.state === "permanent" ? "(own)" : ""), "name"),
      el(
        "td",
        { class: "addr" },
        r.dst ?? "",
        r.vtep ? el("b", { class: "vtep-name", text: ` ${r.vtep}` }) : undefined,
      ),
      td(r.state),
      td(r.flags.join(" "), "flags"),
    ],
  });
  const vx = v.fdb.filter((r) => r.table === "vxlan");
  const br = v.fdb.filter((r) => r.table === "bridge");
  fill(
    $('[data-table="fdb"]', c),
    [
      ...(vx.length
        ? [{ group: `${lab.device}: where frames go (remote VTEP per MAC)` }, ...vx.map(fdbRow)]
        : []),
      ...(br.length
        ? [{ group: `${lab.bridge}: MACs the bridge learned behind port ${lab.device}` }, ...br.map(fdbRow)]
        : []),
    ],
    "empty",
  );
  const neighRows = (rows) =>
    rows.map((r) => ({
      key: `${r.ip} ${r.lladdr ?? ""}`,
      data: { "data-ip": r.ip, "data-lladdr": r.lladdr },
      cells: [
        td(r.ip, "addr"),
        td(r.host, "name"),
        td(r.lladdr ?? "", "addr"),
        td(r.state.join(" ")),
        td(r.flags.join(" "), "flags"),
      ],
    }));
  fill($('[data-table="neigh"]', c), neighRows(v.neigh), "empty");
  if (v.svi) fill($('[data-table="svi"]', c), neighRows(v.svi), "empty");
  if (v.evpn) {
    fill(
      $('[data-table="evpn"]', c),
      v.evpn.map((r) => ({
        key: `${r.mac} ${r.where}`,
        data: { "data-mac": r.mac },
        cells: [
          td(r.mac, "addr"),
          td(r.host, "name"),
          td(r.type),
          td(r.where, "addr"),
          td(r.vtep, "name"),
          td(r.seq, "num"),
        ],
      })),
      "empty",
    );
  }
}

function showAgent(a) {
  const c = $(`section.vtep[data-vtep="${a.vtep}"] .agent`);
  if (!c) return;
  $("[data-agent-error]", c).textContent = a.error ?? "";
  const pair = (o, x, y) => (o ? `${o[x]} / ${o[y]}` : "");
  const items = [
    ["registry", a.registry ?? ""],
    ["lease", a.lease ?? "none"],
    ["misses L2 / L3", pair(a.misses, "l2", "l3")],
    ["resolved L2 / L3", pair(a.resolved, "l2", "l3")],
    ["unknown L2 / L3", pair(a.unknown, "l2", "l3")],
    ["installed FDB / neigh", pair(a.installed, "fdb", "neigh")],
    ["registry view MACs / IPs", pair(a.view, "macs", "ips")],
    ["local MACs / IPs", pair(a.local, "macs", "ips")],
  ];
  $("dl", c).replaceChildren(
    ...items.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]),
  );
}

function showReader(r) {
  const node = lab.vteps.some((v) => v.name === r.node) ? r.node : undefined;
  if (!node) return;
  const s = $(`section.vtep[data-vtep="${node}"] .reader`);
  s.dataset.state = r.state;
  s.textContent =
    r.state === "restarting"
      ? `reader restarting: ${r.detail ?? ""}`
      : r.state === "running"
        ? "live"
        : `reader ${r.state}`;
}

/** Local wall-clock time to the millisecond: events come faster than seconds. */
function clock(d) {
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function addEvent(e) {
  $("#agent-log").hidden = false;
  const body = $("#events");
  const time = clock(new Date(e.at));
  const hide = $("#only-misses").checked && !["install", "unknown"].includes(e.kind);
  const row = el(
    "tr",
    { "data-kind": e.kind, "data-at": e.at, class: "new", hidden: hide },
    td(time, "num"),
    td(e.vtep, "name"),
    td(e.kind),
    td(e.text),
  );
  // Newest first. Each agent's log arrives in order, but the agents' logs
  // interleave (and a page that connects late gets them one agent at a time).
  const later = [...body.children].find((tr) => tr.dataset.at <= e.at);
  body.insertBefore(row, later ?? null);
  while (body.children.length > 300) body.lastElementChild.remove();
}

/** Each card says how old its last frame is: a stuck reader shows, not just stale tables. */
function ages() {
  const now = Date.now();
  for (const [node, at] of lastFrame) {
    const s = $(`section.vtep[data-vtep="${node}"] .reader`);
    if (!s || s.dataset.state === "restarting") continue;
    const stale = now - at > Math.max(3000, lab.intervalMs * 10);
    s.dataset.state = stale ? "stale" : "running";
    s.textContent = stale ? `no frame for ${((now - at) / 1000).toFixed(0)} s` : "live";
  }
}

async function main() {
  lab = await (await fetch("/api/lab")).json();
  $("#lab").textContent = `${lab.stack} · ${lab.variant}`;
  $("#about").textContent =
    `VNI ${lab.vni} on ${lab.device} · read every ${lab.intervalMs} ms, one reader per node`;
  document.title = `vxlan-lab live: ${lab.stack}`;
  $("#vteps").append(...lab.vteps.map(card));
  $("#only-misses").addEventListener("change", (ev) => {
    for (const tr of $("#events").children)
      tr.hidden = ev.target.checked && !["install", "unknown"].includes(tr.dataset.kind);
  });

  const conn = $("#conn");
  const es = new EventSource("/events");
  es.onopen = () => {
    conn.dataset.state = "live";
    conn.textContent = "live";
  };
  es.onerror = () => {
    conn.dataset.state = "reconnecting";
    conn.textContent = "server gone: reconnecting";
  };
  const on = (type, f) => es.addEventListener(type, (m) => f(JSON.parse(m.data)));
  on("vtep", showVtep);
  on("agent", showAgent);
  on("agent-event", addEvent);
  on("reader", showReader);
  on("tick", (t) => {
    lastFrame.set(t.node, t.at);
    const v = lastView.get(t.node);
    if (v) showVtep({ ...v, at: t.at });
  });
  setInterval(ages, 500);
}

main().catch((err) => {
  document.body.prepend(el("p", { class: "error", text: `could not load the lab: ${err}` }));
});
