// chart.js: a link's round-trip time (p50 and p99) and loss over time, as a
// hand-written SVG.
//
// Why hand-written SVG in the browser: the UI has no build step and loads
// nothing from the internet, so a charting library would have to be
// vendored (tens of kilobytes to audit) for two lines and some bars. An SVG
// built from the per-minute rollups is a few dozen lines, scales crisply,
// is styled by the same stylesheet (classes, no inline styles: the CSP
// allows none) and its points are in the DOM where tests can count them.
// Server-side rendering would need the agent's Go code to know the page;
// this way package ui stays the only place that does.

import { esc } from "./dom.js";
import { clock, seconds } from "./time.js";

const W = 920, H = 280, L = 64, R = 12, T = 14, RTT_H = 150, GAP = 26, LOSS_H = 60;

// chart renders points [{t, p50, p99, loss, failed, results}] (t in ms,
// the start of a bucket of stepMs; RTTs in seconds or null, loss a ratio or
// null) over [t0, t1], with the outages [{start, end}] (ms; end null while
// ongoing) shaded behind.
export function chart(points, stepMs, t0, t1, outages = []) {
  const x = (t) => L + ((t - t0) / Math.max(t1 - t0, 1)) * (W - L - R);
  const rtts = points.flatMap((p) => [p.p50, p.p99]).filter((v) => v !== null && v !== undefined);
  const top = niceMax(rtts.length ? Math.max(...rtts) : 0.001);
  const y = (v) => T + RTT_H - (v / top) * RTT_H;
  const ly0 = T + RTT_H + GAP, ly = (r) => ly0 + LOSS_H - r * LOSS_H;
  const parts = [];
  for (const o of outages) {
    const a = x(Math.max(o.start, t0)), b = x(Math.min(o.end ?? t1, t1));
    parts.push(`<rect class="outage" x="${a.toFixed(1)}" y="${T}" width="${Math.max(b - a, 2).toFixed(1)}" height="${ly0 + LOSS_H - T}"><title>outage</title></rect>`);
  }
  parts.push(axes(x, y, ly, ly0, top, t0, t1));
  for (const [key, cls] of [["p99", "p99"], ["p50", "p50"]]) {
    const pts = points.filter((p) => p[key] !== null && p[key] !== undefined);
    parts.push(`<polyline class="line ${cls}" points="${pts.map((p) => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) {
      parts.push(`<circle class="pt ${cls}" cx="${x(p.t).toFixed(1)}" cy="${y(p[key]).toFixed(1)}" r="2.5"><title>${esc(`${clock(p.t)} ${key} ${seconds(p[key])}`)}</title></circle>`);
    }
  }
  const bw = Math.max(2, x(t0 + stepMs) - x(t0) - 1);
  for (const p of points) {
    if (p.loss === null || p.loss === undefined) continue;
    parts.push(`<rect class="loss" x="${x(p.t).toFixed(1)}" y="${ly(p.loss).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(ly0 + LOSS_H - ly(p.loss), p.loss > 0 ? 1 : 0).toFixed(1)}"><title>${esc(`${clock(p.t)} loss ${(p.loss * 100).toFixed(1)}%`)}</title></rect>`);
  }
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="round-trip time p50 and p99, and loss, over time">${parts.join("")}
<text class="legend" x="${L + 6}" y="${T + 10}"><tspan class="p50">— p50</tspan> <tspan class="p99">— p99</tspan> round trip</text>
<text class="legend" x="${L + 6}" y="${ly0 - 4}">loss</text></svg>`;
}

// axes draws the time axis and the RTT and loss scales.
function axes(x, y, ly, ly0, top, t0, t1) {
  const out = [`<line class="axis" x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}"/>`,
    `<line class="axis" x1="${L}" y1="${ly(0)}" x2="${W - R}" y2="${ly(0)}"/>`];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    out.push(`<line class="grid" x1="${L}" y1="${y(v).toFixed(1)}" x2="${W - R}" y2="${y(v).toFixed(1)}"/>`,
      `<text class="tick" x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(seconds(v) || "0")}</text>`);
  }
  out.push(`<text class="tick" x="${L - 6}" y="${ly(1) + 4}" text-anchor="end">100%</text>`,
    `<text class="tick" x="${L - 6}" y="${ly(0) + 4}" text-anchor="end">0%</text>`);
  for (let i = 0; i <= 6; i++) {
    const t = t0 + ((t1 - t0) * i) / 6;
    out.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${ly0 + LOSS_H + 14}" text-anchor="middle">${esc(clock(t))}</text>`);
  }
  return out.join("");
}

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
function niceMax(v) {
  const p = 10 ** Math.floor(Math.log10(v || 1e-3));
  return [1, 2, 5, 10].map((m) => m * p).find((m) => m >= v) ?? 10 * p;
}
