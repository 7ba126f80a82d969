// overview.js: the page an operator opens first. The diagnosis's findings
// come above everything, in its own words; then the links that are not
// healthy (those no finding explains first), and a count of the rest.

import { byId, esc, patch, patchRows } from "./dom.js";
import { badge, badness, label } from "./model.js";
import { cellsTable, findingItem } from "./tables.js";

// mount lays out the page once per visit.
export function mount(root) {
  root.innerHTML = `<section><h2>Findings</h2><ol id="findings" class="findings"></ol><p id="nofindings" class="muted"></p></section>
<section><h2>Links that are not healthy</h2><div id="broken"></div></section>
<section><h2>Summary</h2><div id="summary"></div></section>`;
}

// render patches the page with the latest diagnosis.
export function render(_root, { matrix: d }) {
  const findings = d.findings ?? [];
  patchRows(byId("findings"), findings.map((f) => ({ key: f.id, cls: `finding ${f.severity}`, html: findingItem(f) })), "li");
  patch(byId("nofindings"), findings.length ? "" : "No findings: the diagnosis names no fault.");
  patch(byId("broken"), broken(d));
  patch(byId("summary"), summary(d));
}

// broken lists the directions that are not healthy: those no finding
// explains first, then, folded, those the findings above explain.
function broken(d) {
  const ids = new Set((d.findings ?? []).map((f) => f.id));
  const bad = (d.cells ?? []).filter((c) => c.state !== "healthy").sort((a, b) => badness(a.state) - badness(b.state));
  if (!bad.length) return `<p class="muted">Every direction of every path is healthy.</p>`;
  const loose = bad.filter((c) => !ids.has(c.finding)), explained = bad.filter((c) => ids.has(c.finding));
  return (loose.length ? list(loose) : `<p class="muted">Every one is explained by a finding above.</p>`) +
    (explained.length ? `<details data-d="explained"><summary>${explained.length} direction${explained.length === 1 ? "" : "s"} explained by the findings above</summary>${list(explained)}</details>` : "");
}

// list is at most 50 cells, and how many more the matrix has.
function list(cells) {
  const more = cells.length - 50;
  return cellsTable(cells.slice(0, 50)) + (more > 0 ? `<p><a href="#/matrix">and ${more} more in the matrix</a></p>` : "");
}

// summary counts the cells of each path by state.
function summary(d) {
  const per = new Map((d.paths ?? []).map((p) => [p, {}]));
  for (const c of d.cells ?? []) {
    const s = per.get(c.path) ?? {};
    s[c.state] = (s[c.state] ?? 0) + 1;
    per.set(c.path, s);
  }
  const rows = [...per].map(([p, s]) => `<tr><td><a href="#/matrix">${esc(p)}</a></td><td>${
    Object.entries(s).sort((a, b) => badness(a[0]) - badness(b[0])).map(([st, n]) => `${badge(st, `${n} ${label(st)}`)}`).join(" ")}</td></tr>`);
  return `<p>${esc((d.nodes ?? []).length)} nodes, ${esc(per.size)} path${per.size === 1 ? "" : "s"}, as ${d.diagnosed_by ? `${esc(d.diagnosed_by)} diagnoses them (relayed by ${esc(d.self)}, which is no alert evaluator)` : `${esc(d.self)} diagnoses them`}.</p>
<table class="list"><thead><tr><th>path</th><th>directions by state</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
