/**
 * The topology as an SVG picture, drawn from the model alone: routers on top,
 * VTEPs in the middle, hosts below; underlay links with their /64, VTEP
 * loopbacks, host addresses and MACs, the overlay prefix. Pure.
 */
import { namesEngines, TUNNEL_PORT, type LabNode, type Topology } from "../model";

const esc = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const BOX = {
  router: { w: 150, h: 46 },
  registry: { w: 170, h: 58 },
  vtep: { w: 170, h: 46 },
  host: { w: 170, h: 58 },
} as const;
const COLORS = { router: "#dbe8f7", registry: "#efe0f5", vtep: "#e3f2df", host: "#fdf1d8" } as const;
const ROW_Y = { router: 70, vtep: 300, host: 470 } as const;
/** The registry sits among the routers it is linked to; agents are drawn inside their VTEP. */
const ROWS = [
  ["router", ["router", "registry"]],
  ["vtep", ["vtep"]],
  ["host", ["host"]],
] as const;

interface Placed {
  node: LabNode;
  x: number;
  y: number;
}

/** Along the line, upright, near the VTEP end where a VTEP's links have fanned apart. */
function linkLabel(vtep: Placed, peer: Placed, text: string): string {
  const f = 0.42;
  const x = vtep.x + (peer.x - vtep.x) * f;
  const y = vtep.y + (peer.y - vtep.y) * f;
  let angle = (Math.atan2(peer.y - vtep.y, peer.x - vtep.x) * 180) / Math.PI;
  if (angle > 90) angle -= 180;
  if (angle < -90) angle += 180;
  const a = angle.toFixed(1);
  return `<text x="${x.toFixed(1)}" y="${(y - 3).toFixed(1)}" text-anchor="middle" transform="rotate(${a} ${x.toFixed(1)} ${y.toFixed(1)})" fill="#555" font-size="9">${esc(text)}</text>`;
}

export function topologySvg(t: Topology): string {
  const byKind = (k: LabNode["kind"]) => t.nodes.filter((n) => n.kind === k);
  const columns = Math.max(
    byKind("router").length + byKind("registry").length,
    byKind("vtep").length,
    byKind("host").length,
  );
  const width = Math.max(720, columns * 200 + 80);
  const height = 530;
  const placed = new Map<string, Placed>();
  for (const [row, kinds] of ROWS) {
    const nodes = kinds.flatMap((k) => byKind(k));
    // The registry has a link to every router: between them, its links stay short and apart.
    if (row === "router" && byKind("registry").length > 0) {
      const routers = byKind("router");
      const half = Math.ceil(routers.length / 2);
      nodes.splice(0, nodes.length, ...routers.slice(0, half), ...byKind("registry"), ...routers.slice(half));
    }
    const step = width / (nodes.length + 1);
    nodes.forEach((node, i) => placed.set(node.name, { node, x: step * (i + 1), y: ROW_Y[row] }));
  }
  // Hosts sit under their VTEP when there is room: the picture reads like the seed's.
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    `<title>${esc(`vxlan-lab ${t.stack} (${t.variant})`)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>`,
    `<text x="12" y="20" font-size="14" font-weight="bold">${esc(`vxlan-lab: ${t.variant} (stack ${t.stack})`)}</text>`,
    `<text x="12" y="38">${esc(`underlay: IPv6 only, OSPFv3, MTU ${t.underlay.mtu}; VXLAN VNI ${t.vxlan.vni}, UDP ${t.vxlan.port}, TTL ${t.vxlan.ttl}`)}</text>`,
  );
  // A lab over several engines: which engine holds each node, and which links are tunnels between them.
  const named = namesEngines(t);
  if (named) {
    const list = t.engines.map((e) => `${e.name} ${e.endpoint ?? "default"}`).join(", ");
    out.push(
      `<text x="12" y="54" fill="#845">${esc(`engines: ${list}; dashed links are tunnels between engine hosts (UDP ${TUNNEL_PORT})`)}</text>`,
    );
  }
  for (const l of t.links) {
    const a = placed.get(l.a.node);
    const b = placed.get(l.b.node);
    if (!a || !b) continue;
    const prefix = l.a.address?.replace(/::2\/64$/, "::/64") ?? "";
    const label = l.kind === "access" ? l.a.iface : `${l.a.iface} ${prefix}`;
    const dash = l.tunnel ? ' stroke-dasharray="6 3"' : "";
    out.push(
      `<g class="link" data-link="${esc(l.name)}" data-kind="${l.kind}"${l.tunnel ? ` data-tunnel="${l.tunnel.vni}"` : ""}>`,
      `<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="${l.kind === "access" ? "#999" : "#4a6fa5"}" stroke-width="${l.kind === "access" ? 1 : 1.5}"${dash}/>`,
      linkLabel(a, b, l.tunnel ? `${label} tunnel ${l.tunnel.vni}` : label),
      `</g>`,
    );
  }
  for (const { node, x, y } of placed.values()) {
    if (node.kind === "agent") continue;
    const agent = t.registry?.agents[node.name];
    const w = BOX[node.kind].w;
    const h = BOX[node.kind].h + (agent ? 13 : 0);
    const lines = [named ? `${node.name} @ ${node.engine}` : node.name];
    if (node.loopback) lines.push(`lo ${node.loopback}`);
    // The registry's service address is on its lo, like a router's loopback.
    if (node.name === t.registry?.node)
      lines.push(`lo ${t.registry.address}`, `etcd port ${t.registry.port}`);
    if (agent) lines.push(`+ ${agent}`);
    const host = t.hosts.find((hh) => hh.name === node.name);
    if (host) lines.push(host.address, host.mac);
    out.push(
      `<g class="node" data-node="${esc(node.name)}" data-kind="${node.kind}"${named ? ` data-engine="${esc(node.engine)}"` : ""}>`,
      `<rect x="${x - w / 2}" y="${y - h / 2}" width="${w}" height="${h}" rx="6" fill="${COLORS[node.kind]}" stroke="#333"/>`,
      ...lines.map(
        (txt, i) =>
          `<text x="${x}" y="${y - h / 2 + 15 + i * 13}" text-anchor="middle"${i === 0 ? ' font-weight="bold"' : ""}>${esc(txt)}</text>`,
      ),
      `</g>`,
    );
  }
  const subnets = t.overlay.subnets.map((s) => s.prefix).join(", ");
  out.push(
    `<rect x="10" y="${ROW_Y.vtep + 40}" width="${width - 20}" height="${ROW_Y.host - ROW_Y.vtep - 75}" fill="none" stroke="#7a7" stroke-dasharray="6 4"/>`,
    `<text x="16" y="${ROW_Y.vtep + 54}" fill="#363">${esc(`overlay ${subnets} over ${t.vxlan.device} (VNI ${t.vxlan.vni})`)}</text>`,
    `</svg>`,
  );
  return `${out.join("\n")}\n`;
}
