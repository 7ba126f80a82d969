// link.js: one direction of one path (#/link/from/to/path): its verdict,
// both ends' records, its outages and its round-trip time and loss.
//
// History is per agent: this agent holds the records it made itself, that
// is the outbound probes when it is the source and the arrival record when
// it is the destination. The page shows what it has and says where the rest
// is kept.

import { get, query, rollups } from "./api.js";
import { byId, esc, patch } from "./dom.js";
import { ago, clock, millis, seconds, span, words } from "./time.js";
import { badge, cellIndex, linkHref, nodeLink, sinceVerb } from "./model.js";
import { chart } from "./chart.js";
import { when } from "./tables.js";

// windows are the spans a link page shows, as the API's "duration ago"
// (Go durations: no "d").
const windows = { "1h": ["hour", 3600e3], "24h": ["day", 86400e3], "168h": ["week", 7 * 86400e3] };

// mount lays out the page for params.args = [from, to, path].
export function mount(root, params) {
  const [from, to, path] = params.args;
  const w = windows[params.query.get("w")] ? params.query.get("w") : "1h";
  const tabs = Object.entries(windows).map(([k, [name]]) =>
    `<a class="${k === w ? "on" : ""}" href="${linkHref(from, to, path)}?w=${k}">${name}</a>`).join(" ");
  root.innerHTML = `<h2>${esc(from)} → ${esc(to)} <small class="muted">over ${esc(path)}</small> <span id="lstate"></span></h2>
<p>Nodes ${nodeLink(from)} and ${nodeLink(to)} · reverse direction <a href="${linkHref(to, from, path)}">${esc(to)} → ${esc(from)}</a></p>
<div id="lcell"></div>
<p class="windows">Last ${tabs}</p>
<section><h3>Round-trip time and loss</h3><div id="lchart"></div><p id="lnote" class="muted"></p></section>
<section><h3>Outages</h3><div id="loutages"></div></section>
<section><h3>Records on each end</h3><div class="sides"><div id="lsrc"></div><div id="ldst"></div></div></section>`;
}

// load fetches what the page shows besides the diagnosis.
export async function load(params, { matrix }) {
  const [from, to, path] = params.args;
  const w = windows[params.query.get("w")] ? params.query.get("w") : "1h";
  const self = matrix.self;
  const [outages, records, rtt] = await Promise.all([
    get(`/api/v1/outages?${query({ source: from, destination: to, path, since: w, limit: 500 })}`),
    get(`/api/v1/history?${query({ source: from, destination: to, path, limit: 200 })}`),
    roundTrip(self, from, to, path, windows[w][1]),
  ]);
  return { outages: outages.items ?? [], records: records.items ?? [], rtt, windowMs: windows[w][1] };
}

// roundTrip is the RTT and loss this agent measured on the link's pair:
// its own echoes to the other end and back (a round trip crosses both
// directions). None when this agent is neither end.
async function roundTrip(self, from, to, path, windowMs) {
  const other = self === from ? to : self === to ? from : null;
  if (!other) return null;
  const link = { source: self, destination: other, path };
  const [tcp, udp] = await Promise.all([rollups({ ...link, probe: `${path}-tcp` }, windowMs),
    rollups({ ...link, probe: `${path}-udp` }, windowMs)]);
  const loss = new Map(udp.points.map((p) => [p.t, p.loss]));
  return { other, source: tcp.source, stepMs: tcp.stepMs, points: tcp.points.map((p) => ({ ...p, loss: loss.get(p.t) ?? p.loss })) };
}

// render patches the page.
export function render(_root, data, params) {
  const [from, to, path] = params.args;
  const d = data.matrix, self = d.self;
  const c = cellIndex(d).get(`${path}|${from}|${to}`);
  patch(byId("lstate"), c ? badge(c.state) : badge("unknown", "not in the matrix"));
  patch(byId("lcell"), c ? cellInfo(c, d) : `<p class="muted">${esc(self)}'s diagnosis has no such direction.</p>`);
  const now = Date.now(), t0 = now - data.windowMs;
  const spans = data.outages.map((o) => ({ start: millis(o.start), end: millis(o.end) }));
  if (data.rtt) {
    patch(byId("lchart"), chart(data.rtt.points, data.rtt.stepMs, t0, now, spans));
    patch(byId("lnote"), `Round trip measured by ${esc(self)} to ${esc(data.rtt.other)} and back over ${esc(path)} ` +
      `(${esc(path)}-tcp echoes; loss from ${esc(path)}-udp), per ${esc(span(data.rtt.stepMs))}${data.rtt.source === "rollups" ? "" : " computed from the newest raw history records (this agent serves no rollups)"}; outages shaded.` +
      (data.rtt.points.length ? "" : " Nothing recorded in this window."));
  } else {
    patch(byId("lchart"), "");
    patch(byId("lnote"), `${esc(self)} is neither end of this link, so it measured no round trip on it; ${esc(from)} and ${esc(to)} keep theirs.`);
  }
  patch(byId("loutages"), outagesTable(data.outages));
  const out = data.records.filter((r) => r.direction === "outbound"), inb = data.records.filter((r) => r.direction === "inbound");
  patch(byId("lsrc"), side(`${esc(from)} (source): its probes to ${esc(to)}`, from, self, out));
  patch(byId("ldst"), side(`${esc(to)} (destination): ${esc(from)}'s beacons arriving`, to, self, inb));
}

function cellInfo(c, d) {
  const f = (d.findings ?? []).find((x) => x.id === c.finding);
  return `<table class="kv"><tr><th>state</th><td>${badge(c.state)} ${when(c.since, sinceVerb(c.state) + " ")}</td></tr>
<tr><th>cause</th><td>${esc(c.cause || "–")}${c.loss_percent ? ` · ${esc(c.loss_percent.toFixed(1))}% loss` : ""}</td></tr>
<tr><th>arrivals at ${esc(c.to)}</th><td>${badge(c.forward)}</td></tr><tr><th>round trip from ${esc(c.from)}</th><td>${badge(c.roundtrip)}</td></tr>
<tr><th>large echoes (MTU)</th><td>${badge(c.large)}</td></tr>
${c.message ? `<tr><th>message</th><td>${esc(words(c.message))}</td></tr>` : ""}
${f ? `<tr><th>finding</th><td><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span> ${esc(words(f.summary))}${f.advice ? `<br><span class="advice">${esc(words(f.advice))}</span>` : ""}</td></tr>` : ""}</table>`;
}

// duration is an outage's length; one failed result lasts "under 1s".
const duration = (ms) => (ms < 1000 ? "under 1s" : span(ms));

function outagesTable(items) {
  if (!items.length) return `<p class="muted">No outage in this window.</p>`;
  const rows = items.map((o) => {
    const s = millis(o.start), e = millis(o.end);
    return `<tr class="${e ? "healed" : "ongoing"}"><td title="${esc(clock(o.start))}">${esc(clock(o.start))} <span class="muted">(${esc(ago(o.start))} ago)</span></td>
<td>${e ? esc(clock(o.end)) : badge("failing", "ongoing")}</td><td>${esc(duration((e ?? Date.now()) - s))}</td>
<td>${esc(o.probe)}</td><td>${esc(o.direction === "inbound" ? o.destination : o.source)}</td><td>${esc(o.cause)}</td>
<td>${esc(o.failures)}</td><td class="msg">${esc(words(o.message))}</td></tr>`;
  });
  return `<table class="list outages"><thead><tr><th>start</th><th>end</th><th>duration</th><th>probe</th><th>recorded by</th>
<th>cause</th><th>failures</th><th>message</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

// side is one end's records, or where they are kept when not here.
function side(title, node, self, records) {
  const head = `<h4>${title}</h4>`;
  if (node !== self) {
    return head + `<p class="muted">${esc(node)} keeps these records in its own history; this agent (${esc(self)}) holds only what it recorded itself. Open ${esc(node)}'s UI to see them.</p>`;
  }
  if (!records.length) return head + `<p class="muted">No record yet.</p>`;
  const rows = records.slice(0, 30).map((r) => `<tr><td title="${esc(clock(r.time))}">${esc(ago(r.time))} ago</td><td>${esc(r.probe)}</td>
<td>${badge(r.passed ? "healthy" : "failing", r.passed ? "pass" : "FAIL")}</td><td>${esc(r.cause)}</td>
<td>${esc(r.details?.sent > 0 ? seconds(r.details.rtt_seconds) : "")}</td><td class="msg">${esc(words(r.message))}</td></tr>`);
  return head + `<table class="list"><thead><tr><th>when</th><th>probe</th><th>result</th><th>cause</th><th>rtt</th><th>message</th></tr></thead>
<tbody>${rows.join("")}</tbody></table>`;
}
