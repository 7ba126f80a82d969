// matrix.js: the heatmap, one per path, rows the source and columns the
// destination of each direction. Every cell says its state (and, when not
// healthy, its cause and for how long) in text, not only in colour or on
// hover. At 200 nodes a path has 39 800 cells: rows sort worst first, a
// filter narrows rows and columns by name, grouping by name prefix folds
// the matrix into groups, and a refresh rewrites only the rows that changed.

import { byId, esc, patch, patchRows } from "./dom.js";
import { ago, words } from "./time.js";
import { badness, cellIndex, label, linkHref, nodeHref, prefix } from "./model.js";

let last = null; // the latest diagnosis, to re-render on a control's change
let opts = { f: "", sort: "worst", group: false, rows: "", cols: "" };

// mount lays out the controls once per visit; the route's query sets them.
export function mount(root, params) {
  const q = params.query;
  opts = { f: q.get("f") ?? "", sort: q.get("sort") ?? "worst", group: q.get("group") === "1", rows: q.get("rows") ?? "", cols: q.get("cols") ?? "" };
  root.innerHTML = `<h2>Link matrix <small class="muted">row → column: each direction of each path, from every node's view</small></h2>
<div class="controls"><label>filter <input id="mfilter" type="search" placeholder="node name" value="${esc(opts.f)}"></label>
<label>sort <select id="msort"><option value="worst">failing first</option><option value="name">by name</option></select></label>
<label><input id="mgroup" type="checkbox"> group by name prefix</label> <span id="mscope"></span> <span id="mcount" class="muted"></span></div>
<div id="mpaths"></div>`;
  byId("msort").value = opts.sort;
  byId("mgroup").checked = opts.group;
  byId("mfilter").addEventListener("input", (e) => update({ f: e.target.value.trim() }));
  byId("msort").addEventListener("change", (e) => update({ sort: e.target.value }));
  byId("mgroup").addEventListener("change", (e) => update({ group: e.target.checked }));
  last = null;
}

// update applies a control's change and keeps it in the address.
function update(change) {
  opts = { ...opts, ...change };
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(opts)) if (v && !(k === "sort" && v === "worst")) q.set(k, v === true ? "1" : v);
  history.replaceState(null, "", `#/matrix${q.size ? "?" + q : ""}`);
  if (last) render(null, last);
}

// render patches every path's heatmap with the latest diagnosis.
export function render(_root, data) {
  last = data;
  const d = data.matrix;
  const idx = cellIndex(d);
  const nodes = (d.nodes ?? []).filter((n) => !opts.f || n.toLowerCase().includes(opts.f.toLowerCase()));
  const rows = nodes.filter((n) => !opts.rows || prefix(n) === opts.rows);
  const cols = nodes.filter((n) => !opts.cols || prefix(n) === opts.cols);
  patch(byId("mscope"), opts.rows || opts.cols ? `rows ${esc(opts.rows || "all")}, columns ${esc(opts.cols || "all")} <a href="#/matrix">show all</a>` : "");
  patch(byId("mcount"), `${rows.length} of ${(d.nodes ?? []).length} nodes`);
  const container = byId("mpaths");
  const paths = d.paths ?? [];
  if (!paths.length) {
    patch(container, `<p class="muted">No peer links: this agent runs no mesh, or has no peers yet.</p>`);
    return;
  }
  if (container.dataset.html) patch(container, "");
  for (const p of paths) {
    const sec = section(container, p);
    if (opts.group) groups(sec, p, rows, cols, idx);
    else heatmap(sec, p, rows, cols, idx);
  }
  for (const s of [...container.children]) if (!paths.includes(s.dataset.k)) s.remove();
}

// section is the element of one path's heatmap, made on first use.
function section(container, path) {
  let sec = [...container.children].find((s) => s.dataset.k === path);
  if (!sec) {
    sec = document.createElement("section");
    sec.dataset.k = path;
    sec.className = "hm-path";
    sec.innerHTML = `<h3>${esc(path)}</h3><div class="hm" data-path="${esc(path)}"><div class="hm-head"></div><div class="hm-body"></div></div>`;
    container.append(sec);
  }
  return sec;
}

// order sorts nodes worst first (by their worst cells on the path, in or
// out), then by name; or by name only.
function order(nodes, path, idx, all) {
  if (opts.sort === "name") return [...nodes].sort();
  const score = new Map(nodes.map((n) => [n, 0]));
  for (const n of nodes) {
    for (const m of all) {
      for (const c of [idx.get(`${path}|${n}|${m}`), idx.get(`${path}|${m}|${n}`)]) {
        if (c && c.state !== "healthy") score.set(n, score.get(n) + 10 ** (4 - Math.min(badness(c.state), 4)));
      }
    }
  }
  return [...nodes].sort((a, b) => score.get(b) - score.get(a) || a.localeCompare(b));
}

// heatmap renders one cell per direction.
function heatmap(sec, path, rows, cols, idx) {
  const r = order(rows, path, idx, cols), c = order(cols, path, idx, rows);
  const head = `<span class="corner">from \\ to</span>` + c.map((n) => `<a class="ch" href="${nodeHref(n)}" title="${esc(n)}">${esc(n)}</a>`).join("");
  patch(sec.querySelector(".hm-head"), head);
  patchRows(sec.querySelector(".hm-body"), r.map((from) => ({
    key: from, cls: "hm-row",
    html: `<a class="rh" href="${nodeHref(from)}" title="${esc(from)}">${esc(from)}</a>` + c.map((to) => cell(from, to, path, idx)).join(""),
  })));
}

// cell is one direction: its state in a word, and when not healthy its
// cause and for how long.
function cell(from, to, path, idx) {
  if (from === to) return `<span class="c self"></span>`;
  const c = idx.get(`${path}|${from}|${to}`);
  if (!c) return `<span class="c none">–</span>`;
  const href = linkHref(from, to, path);
  // A healthy cell says all there is in its word; a tooltip on each of
  // 40 000 of them would only slow the page down.
  if (c.state === "healthy") return `<a class="c healthy" data-state="healthy" href="${href}"><b>ok</b></a>`;
  const tip = `${from} → ${to} over ${path}: ${c.state}${c.cause ? ", " + c.cause : ""}${c.message ? " — " + words(c.message) : ""}`;
  return `<a class="c ${esc(c.state)}" data-state="${esc(c.state)}" href="${href}" title="${esc(tip)}"><b>${esc(label(c.state))}</b><i>${esc(c.cause || "")} ${esc(ago(c.since))}</i></a>`;
}

// groups folds the heatmap by name prefix: a cell per pair of groups with
// its worst state and how many directions are in it.
function groups(sec, path, rows, cols, idx) {
  const gr = groupBy(rows), gc = groupBy(cols);
  patch(sec.querySelector(".hm-head"), `<span class="corner">from \\ to</span>` +
    [...gc.keys()].map((g) => `<span class="ch" title="${esc(g)}">${esc(g)}* (${gc.get(g).length})</span>`).join(""));
  patchRows(sec.querySelector(".hm-body"), [...gr].map(([g, members]) => ({
    key: "group:" + g, cls: "hm-row",
    html: `<span class="rh">${esc(g)}* (${members.length})</span>` + [...gc].map(([h, to]) => groupCell(g, members, h, to, path, idx)).join(""),
  })));
}

function groupBy(nodes) {
  const m = new Map();
  for (const n of [...nodes].sort()) m.set(prefix(n), [...(m.get(prefix(n)) ?? []), n]);
  return m;
}

function groupCell(g, from, h, to, path, idx) {
  let worst = "healthy", bad = 0, all = 0;
  for (const f of from) {
    for (const t of to) {
      const c = idx.get(`${path}|${f}|${t}`);
      if (!c) continue;
      all++;
      if (c.state !== "healthy") bad++;
      if (badness(c.state) < badness(worst)) worst = c.state;
    }
  }
  if (!all) return `<span class="c none">–</span>`;
  return `<a class="c ${esc(worst)}" data-state="${esc(worst)}" href="#/matrix?rows=${encodeURIComponent(g)}&amp;cols=${encodeURIComponent(h)}"
title="${esc(`${g}* → ${h}*: ${bad} of ${all} directions not healthy`)}"><b>${esc(label(worst))}</b><i>${bad ? `${bad}/${all} bad` : `${all} ok`}</i></a>`;
}
