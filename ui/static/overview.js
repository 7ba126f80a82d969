// overview.js: the page an operator opens first. The diagnosis's findings
// come above everything, in its own words; then the links that are not
// healthy, and a count of the rest.

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
  const broken = (d.cells ?? []).filter((c) => c.state !== "healthy");
  const shown = broken.sort((a, b) => badness(a.state) - badness(b.state)).slice(0, 50);
  patch(byId("broken"), broken.length ? cellsTable(shown) +
    (broken.length > shown.length ? `<p><a href="#/matrix">and ${broken.length - shown.length} more in the matrix</a></p>` : "")
    : `<p class="muted">Every direction of every path is healthy.</p>`);
  patch(byId("summary"), summary(d));
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
  return `<p>${esc((d.nodes ?? []).length)} nodes, ${esc(per.size)} path${per.size === 1 ? "" : "s"}, as ${esc(d.self)} diagnoses them.</p>
<table class="list"><thead><tr><th>path</th><th>directions by state</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
