/** A small SVG line chart: one polyline per series, axes with ticks. Pure. */
export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[]): string {
  const W = 760;
  const H = 380;
  const m = { l: 60, r: 290, t: 36, b: 48 };
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const xMax = Math.max(1, ...xs);
  const yMax = Math.max(1, ...ys) * 1.1;
  const X = (x: number) => m.l + (x / xMax) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - (y / yMax) * (H - m.t - m.b);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - 60}" y="20" font-size="14" font-weight="bold" text-anchor="middle">${esc(title)}</text>`,
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text x="16" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<text x="${X(x)}" y="${H - m.b + 15}" text-anchor="middle">${x}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const y = (yMax / 4) * i;
    out.push(
      `<line x1="${m.l - 4}" y1="${Y(y)}" x2="${W - m.r}" y2="${Y(y)}" stroke="#eee"/>`,
      `<text x="${m.l - 6}" y="${Y(y) + 4}" text-anchor="end">${y < 10 ? y.toFixed(1) : y.toFixed(0)}</text>`,
    );
  }
  series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length] ?? "#000";
    const pts = s.points.filter((p) => Number.isFinite(p[1]));
    out.push(
      `<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""} points="${pts.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ")}"/>`,
      ...pts.map((p) => `<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${c}"/>`),
      `<line x1="${W - m.r + 12}" y1="${m.t + 10 + i * 18}" x2="${W - m.r + 32}" y2="${m.t + 10 + i * 18}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ""}/>`,
      `<text x="${W - m.r + 38}" y="${m.t + 14 + i * 18}">${esc(s.name)}</text>`,
    );
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
