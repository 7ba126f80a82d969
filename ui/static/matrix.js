// matrix.js: the heatmap, one per path, rows the source and columns the
// destination of each direction. Every cell says its state (and, when not
// healthy, its cause and for how long) in text, not only in colour or on
// hover. At 200 nodes a path has 39 800 cells: rows sort worst first, a
// filter narrows rows and columns by name, grouping by name prefix folds
// the matrix into groups; only the rows in view are in the document, and a
// refresh rewrites only those that changed.

import { byId, esc, patch, patchRows } from "./dom.js";
import { ago, words } from "./time.js";
import { badness, label, nodeHref, prefix } from "./model.js";

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
  const idx = grid(d);
  const nodes = (d.nodes ?? []).filter((n) => !opts.f || n.toLowerCase().includes(opts.f.toLowerCase()));
  const rows = nodes.filter((n) => !opts.rows || prefix(n) === opts.rows);
  const cols = nodes.filter((n) => !opts.cols || prefix(n) === opts.cols);
  patch(byId("mscope"), opts.rows || opts.cols ? `rows ${esc(opts.rows || "all")}, columns ${esc(opts.cols || "all")} <a href="#/matrix">show all</a>` : "");
  patch(byId("mcount"), `${rows.length} of ${(d.nodes ?? []).length} nodes`);
  const container = byId("mpaths");
  const paths = d.paths ?? [];
  if (!paths.length) {
    if (!container.querySelector(":scope > p")) container.innerHTML = `<p class="muted">No peer links: this agent runs no mesh, or has no peers yet.</p>`;
    return;
  }
  if (container.querySelector(":scope > p")) container.innerHTML = "";
  for (const p of paths) {
    const sec = section(container, p);
    const hm = sec.querySelector(".hm");
    hm.classList.toggle("groups", opts.group);
    // Rows get their width from the number of columns, so rows off screen
    // are skipped whole (content-visibility) yet keep the scroll width.
    hm.style.setProperty("--cols", String(opts.group ? new Set(cols.map(prefix)).size : cols.length));
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
    let queued = false;
    sec.querySelector(".hm").addEventListener("scroll", () => {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => { queued = false; rowWindow(sec); });
    }, { passive: true });
    container.append(sec);
  }
  return sec;
}

// grid indexes the cells as path → from → to → cell: 80 000 lookups a
// render, without building a key string for each.
function grid(d) {
  const g = new Map();
  for (const c of d.cells ?? []) {
    let byFrom = g.get(c.path);
    if (!byFrom) g.set(c.path, (byFrom = new Map()));
    let byTo = byFrom.get(c.from);
    if (!byTo) byFrom.set(c.from, (byTo = new Map()));
    byTo.set(c.to, c);
  }
  return g;
}

// byName compares node names the way people count: node2 before node10.
const collator = new Intl.Collator(undefined, { numeric: true });
const byName = (a, b) => collator.compare(a, b);

// order sorts nodes worst first (by their worst cells on the path, in or
// out), then by name; or by name only.
function order(nodes, cells, all) {
  if (opts.sort === "name") return [...nodes].sort(byName);
  const score = new Map(nodes.map((n) => [n, 0]));
  const keep = new Set(nodes), other = new Set(all);
  for (const [from, byTo] of cells) {
    for (const [to, c] of byTo) {
      if (c.state === "healthy") continue;
      const w = 10 ** (4 - Math.min(badness(c.state), 4));
      if (keep.has(from) && other.has(to)) score.set(from, score.get(from) + w);
      if (keep.has(to) && other.has(from)) score.set(to, score.get(to) + w);
    }
  }
  return [...nodes].sort((a, b) => score.get(b) - score.get(a) || byName(a, b));
}

// heatmap renders one cell per direction.
function heatmap(sec, path, rows, cols, idx) {
  const cells = idx.get(path) ?? new Map();
  const r = order(rows, cells, cols), c = order(cols, cells, rows);
  const enc = new Map(c.map((n) => [n, encodeURIComponent(n)]));
  const tail = "/" + encodeURIComponent(path);
  const head = `<span class="corner">from \\ to</span>` + c.map((n) => `<a class="ch" href="${nodeHref(n)}" title="${esc(n)}">${esc(n)}</a>`).join("");
  patch(sec.querySelector(".hm-head"), head);
  const self = r.filter((n) => c.includes(n)).length;
  sec.querySelector(".hm").dataset.cells = String(r.length * c.length - self);
  sec.view = (from) => `<a class="rh" href="${nodeHref(from)}" title="${esc(from)}">${esc(from)}</a>` +
    row(from, c, cells.get(from), path, `#/link/${encodeURIComponent(from)}/`, enc, tail);
  sec.rows = r;
  rowWindow(sec);
}

// rowHeight is a heatmap row's height in pixels (app.css .hm-row).
const rowHeight = 34;

// rowWindow writes only the rows in and near the heatmap's scrolled view:
// at 200 nodes that is about 40 rows instead of 200, and the body keeps the
// full height so the scroll bar tells the truth. Scrolling moves the window.
function rowWindow(sec) {
  const body = sec.querySelector(".hm-body"), hm = sec.querySelector(".hm");
  if (!sec.view) return;
  const top = Math.floor(hm.scrollTop / rowHeight), first = Math.max(0, top - 8);
  // Before its first rows the heatmap is only as tall as its header: size
  // the window by the screen then. Eight rows either side of the view.
  const view = Math.max(hm.clientHeight, Math.min(window.innerHeight, 1200));
  const shown = sec.rows.slice(first, top + Math.ceil(view / rowHeight) + 8);
  body.style.height = `${sec.rows.length * rowHeight}px`;
  body.style.paddingTop = `${first * rowHeight}px`;
  patchRows(body, shown.map((from) => ({ key: from, cls: "hm-row", html: sec.view(from) })));
}

// row is the cells of one source, its links' addresses built from names
// encoded once.
function row(from, cols, byTo, path, head, enc, tail) {
  let html = "";
  for (const to of cols) html += cell(from, to, path, byTo?.get(to), head + enc.get(to) + tail);
  return html;
}

// cell is one direction: its state in a word, and when not healthy its
// cause and for how long.
function cell(from, to, path, c, href) {
  if (from === to) return `<span class="c self"></span>`;
  if (!c) return `<span class="c none">–</span>`;
  // A healthy cell says all there is in its word; a tooltip on each of
  // 40 000 of them would only slow the page down.
  if (c.state === "healthy") return `<a class="c healthy" href="${href}">ok</a>`;
  const tip = `${from} → ${to} over ${path}: ${c.state}${c.cause ? ", " + c.cause : ""}${c.message ? " — " + words(c.message) : ""}`;
  return `<a class="c ${esc(c.state)}" href="${href}" title="${esc(tip)}"><b>${esc(label(c.state))}</b><i>${esc(c.cause || "")} ${esc(ago(c.since))}</i></a>`;
}

// groups folds the heatmap by name prefix: a cell per pair of groups with
// its worst state and how many directions are in it.
function groups(sec, path, rows, cols, idx) {
  const cells = idx.get(path) ?? new Map();
  const gr = groupBy(order(rows, cells, cols)), gc = groupBy(order(cols, cells, rows));
  const body = sec.querySelector(".hm-body");
  sec.view = null;
  body.style.height = body.style.paddingTop = "";
  patch(sec.querySelector(".hm-head"), `<span class="corner">from \\ to</span>` +
    [...gc.keys()].map((g) => `<span class="ch" title="${esc(g)}">${esc(g)}* (${gc.get(g).length})</span>`).join(""));
  patchRows(sec.querySelector(".hm-body"), [...gr].map(([g, members]) => ({
    key: "group:" + g, cls: "hm-row",
    html: `<span class="rh">${esc(g)}* (${members.length})</span>` + [...gc].map(([h, to]) => groupCell(g, members, h, to, path, idx)).join(""),
  })));
}

// groupBy groups nodes by prefix, the groups in the order of their first
// member (so worst first when the nodes are).
function groupBy(nodes) {
  const m = new Map();
  for (const n of nodes) {
    if (!m.has(prefix(n))) m.set(prefix(n), []);
    m.get(prefix(n)).push(n);
  }
  return m;
}

function groupCell(g, from, h, to, path, idx) {
  let worst = "healthy", bad = 0, all = 0;
  for (const f of from) {
    for (const t of to) {
      const c = idx.get(path)?.get(f)?.get(t);
      if (!c) continue;
      all++;
      if (c.state !== "healthy") bad++;
      if (badness(c.state) < badness(worst)) worst = c.state;
    }
  }
  if (!all) return `<span class="c none">–</span>`;
  return `<a class="c ${esc(worst)}" href="#/matrix?rows=${encodeURIComponent(g)}&amp;cols=${encodeURIComponent(h)}"
title="${esc(`${g}* → ${h}*: ${bad} of ${all} directions not healthy`)}"><b>${esc(label(worst))}</b><i>${bad ? `${bad}/${all} bad` : `${all} ok`}</i></a>`;
}
