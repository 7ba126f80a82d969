// node.js: one node (#/node/name): how its view reached the diagnosis, its
// findings, its links out and in, and, on the agent's own node, its checks.

import { get } from "./api.js";
import { byId, esc, patch, patchRows } from "./dom.js";
import { badge, findingsOf } from "./model.js";
import { cellsTable, findingItem, statesTable, when } from "./tables.js";
import { words } from "./time.js";

// mount lays out the page for params.args = [name].
export function mount(root, params) {
  const [name] = params.args;
  root.innerHTML = `<h2>Node ${esc(name)}</h2><p id="nview"></p>
<section><h3>Findings</h3><ol id="nfindings" class="findings"></ol><p id="nnofindings" class="muted"></p></section>
<section><h3>Links out of ${esc(name)}</h3><div id="nout"></div></section>
<section><h3>Links into ${esc(name)}</h3><div id="nin"></div></section>
<section><h3>Checks</h3><div id="nchecks"></div></section>`;
}

// load fetches the checks when the node is this agent's own.
export async function load(params, { matrix }) {
  if (params.args[0] !== matrix.self) return {};
  const [checks, links] = await Promise.all([get("/api/v1/checks"), get("/api/v1/links")]);
  return { checks: checks.items ?? [], links: links.links ?? [] };
}

// render patches the page.
export function render(_root, data, params) {
  const [name] = params.args;
  const d = data.matrix;
  patch(byId("nview"), viewLine(d, name));
  const fs = findingsOf(d, name);
  patchRows(byId("nfindings"), fs.map((f) => ({ key: f.id, cls: `finding ${f.severity}`, html: findingItem(f) })), "li");
  patch(byId("nnofindings"), fs.length ? "" : `No finding concerns ${esc(name)}.`);
  const cells = d.cells ?? [];
  patch(byId("nout"), cellsTable(cells.filter((c) => c.from === name)));
  patch(byId("nin"), cellsTable(cells.filter((c) => c.to === name)));
  patch(byId("nchecks"), data.checks ? checksTable(data.checks) + `<h4>Its links as it tracks them</h4>` + statesTable(data.links)
    : `<p class="muted">${esc(name)}'s checks run on its own agent; this page is served by ${esc(d.self)}. Its links as every view sees them are above.</p>`);
}

function viewLine(d, name) {
  const by = d.diagnosed_by || d.self; // an agent that is no evaluator relays one's diagnosis
  if (!(d.nodes ?? []).includes(name)) return `<span class="muted">${esc(by)}'s diagnosis does not know this node.</span>`;
  const v = d.views?.[name] ?? {};
  if (v.missing) return `${badge("unknown", "view missing")} ${esc(words(v.missing))}`;
  const own = d.diagnosed_by ? `${esc(by)}'s own view (${esc(by)} diagnoses, ${esc(d.self)} relays)` : "this agent's own view";
  const how = v.via === "self" ? own : `its view came over ${esc(v.via ?? "?")} to ${esc(by)}`;
  return `${how}, generated ${when(v.generated)} ago`;
}

// checksTable lists the controller's checks (GET /api/v1/checks).
export function checksTable(checks) {
  if (!checks.length) return `<p class="muted">no checks</p>`;
  const rows = checks.map((c) => {
    const r = c.status?.lastResult, ready = (c.status?.conditions ?? []).find((x) => x.type === "Ready");
    const st = !r ? "pending" : r.passed ? "healthy" : "failing";
    return `<tr><td>${esc(c.metadata?.name)}</td><td>${esc(c.spec?.link?.destination)}</td><td>${esc(c.spec?.link?.path)}</td>
<td>${esc(c.spec?.spec?.kind)}</td><td>${badge(st, !r ? "pending" : r.passed ? "pass" : "FAIL")}</td><td>${esc(r?.cause)}</td>
<td class="msg">${esc(words(r?.message))}</td><td>${when(ready?.lastTransitionTime)}</td></tr>`;
  });
  return `<table class="list"><thead><tr><th>check</th><th>destination</th><th>path</th><th>kind</th><th>result</th><th>cause</th>
<th>message</th><th>for</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}
