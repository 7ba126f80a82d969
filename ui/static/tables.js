// tables.js: tables several pages share (link states, findings, cells).

import { esc } from "./dom.js";
import { ago, clock, words } from "./time.js";
import { badge, badness, findingState, label, linkHref, nodeLink, sinceVerb } from "./model.js";

// when is a relative time with the clock time as its tooltip.
export function when(t, prefix = "") {
  const a = ago(t);
  return a ? `<span class="when" title="${esc(clock(t))}">${esc(prefix)}${esc(a)}</span>` : "";
}

// statesTable lists LinkStates (evidence, a node's links).
export function statesTable(states) {
  if (!states?.length) return `<p class="muted">none</p>`;
  const rows = states.map((s) => `<tr><td>${esc(s.agent)}</td><td>${esc(s.direction === "inbound" ? "from" : "to")} ${nodeLink(s.peer)}</td>
<td>${esc(s.path)}</td><td>${esc(s.probe)}</td><td>${badge(s.status)}</td><td>${esc(s.cause)}</td>
<td class="msg">${esc(words(s.message))}</td><td>${when(s.since, sinceVerb(s.status) + " ")}</td><td>${when(s.last)} ago</td></tr>`);
  return `<table class="list"><thead><tr><th>seen by</th><th>peer</th><th>path</th><th>probe</th><th>state</th><th>cause</th>
<th>last message</th><th>since</th><th>last result</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

// findingItem is one finding in operator words: severity, summary, advice,
// for how long, where, and its evidence folded away.
export function findingItem(f) {
  const where = [];
  if (f.node) where.push(`node ${nodeLink(f.node)}`);
  if (f.from && f.to) where.push(`<a href="${linkHref(f.from, f.to, f.path)}">${esc(f.from)} → ${esc(f.to)}</a>`);
  where.push(f.path ? `path ${esc(f.path)}` : "every path");
  if (f.probe) where.push(`check ${esc(f.probe)}`);
  if (f.cause) where.push(`cause ${esc(f.cause)}`);
  if (f.loss_percent) where.push(`${esc(f.loss_percent.toFixed(1))}% loss`);
  if (f.largest) where.push(`largest payload ${esc(f.largest)} B`);
  const ev = (f.evidence?.length
    ? `<details data-d="${esc(f.id)}"><summary>evidence (${f.evidence.length})</summary>${statesTable(f.evidence)}</details>` : "") +
    hostsDetails(f.hosts, f.id);
  return `<div class="fhead"><span class="sev ${esc(f.severity)}">${esc(f.severity)}</span>
<span class="summary">${esc(words(f.summary))}</span> ${when(f.since, sinceVerb(findingState(f)) + " ")}</div>
${f.advice ? `<div class="advice">${esc(words(f.advice))}</div>` : ""}<div class="where muted">${where.join(" · ")}</div>${ev}`;
}

// cellsTable lists cells, worst first, each linking to its link page.
export function cellsTable(cells) {
  if (!cells.length) return `<p class="muted">none</p>`;
  const sorted = [...cells].sort((a, b) => badness(a.state) - badness(b.state) || a.path.localeCompare(b.path) ||
    a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  const rows = sorted.map((c) => `<tr><td><a href="${linkHref(c.from, c.to, c.path)}">${esc(c.from)} → ${esc(c.to)}</a></td>
<td>${esc(c.path)}</td><td>${badge(c.state)}</td><td>${esc(c.cause ?? "")}</td><td>${when(c.since, sinceVerb(c.state) + " ")}</td>
<td>${[c.forward, c.roundtrip, c.large].map((st) => esc(label(st) || "–")).join(" / ")}</td><td class="msg">${esc(words(c.message))}</td></tr>`);
  return `<table class="list"><thead><tr><th>direction</th><th>path</th><th>state</th><th>cause</th><th>since</th>
<th title="arrivals at the destination / round trip from the source / large echoes">arrival / round trip / large</th>
<th>message</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

// hostsDetails folds the named nodes' host evidence (interfaces with their
// MTUs and addresses, routes) under one <details>.
export function hostsDetails(hosts, id) {
  const names = Object.keys(hosts ?? {}).sort();
  if (!names.length) return "";
  const one = (n) => {
    const h = hosts[n];
    const ifs = (h.interfaces ?? []).map((i) => `<tr><td>${esc(i.name)}</td><td>${esc(i.mtu)}</td><td>${esc((i.addrs ?? []).join(", "))}</td></tr>`);
    const rs = (h.routes ?? []).map((r) => `<tr><td>${esc(r.destination)}</td><td>${esc(r.gateway || "–")}</td><td>${esc(r.interface)}</td></tr>`);
    return `<h4>${esc(n)}</h4><table class="list"><thead><tr><th>interface</th><th>MTU</th><th>addresses</th></tr></thead><tbody>${ifs.join("")}</tbody></table>
<table class="list"><thead><tr><th>route to</th><th>via</th><th>interface</th></tr></thead><tbody>${rs.join("")}</tbody></table>`;
  };
  return `<details data-d="${esc(id)}/hosts"><summary>host evidence (${esc(names.join(", "))})</summary>${names.map(one).join("")}</details>`;
}
