// pages.js: the small pages: alerts, nightly reports and the agent itself.

import { get } from "./api.js";
import { esc, patch, patchRows, seg, byId } from "./dom.js";
import { linkHref, nodeLink } from "./model.js";
import { hostsDetails, statesTable, when } from "./tables.js";
import { span, words } from "./time.js";
import { checksTable } from "./node.js";

// alerts lists the alerts this agent has firing, each with its evidence.
export const alerts = {
  mount(root) {
    root.innerHTML = `<h2>Alerts</h2><p id="anote" class="muted"></p><ol id="alist" class="findings"></ol>`;
  },
  load: async () => ({ alerts: await get("/api/v1/alerts") }),
  render(_root, { alerts: a }) {
    const items = a.items ?? [];
    patch(byId("anote"), !a.enabled ? "Alerting is not enabled on this agent." : items.length ? "" : "No alert is firing.");
    patchRows(byId("alist"), items.map((x) => ({ key: x.fingerprint || x.alertname + x.source + x.destination, cls: `finding ${x.severity}`, html: alertItem(x) })), "li");
  },
};

function alertItem(x) {
  const where = [x.node ? `node ${nodeLink(x.node)}` : "", x.source && x.destination && x.path ?
    `<a href="${linkHref(x.source, x.destination, x.path)}">${esc(x.source)} → ${esc(x.destination)}</a> over ${esc(x.path)}` : "",
  x.cause ? `cause ${esc(x.cause)}` : "", x.reporter ? `sent by ${esc(x.reporter)}` : ""].filter(Boolean);
  return `<div class="fhead"><span class="sev ${esc(x.severity)}">${esc(x.severity)}</span> <b>${esc(x.alertname)}</b>
<span class="summary">${esc(words(x.summary))}</span> ${when(x.starts_at, "firing ")}</div>
${x.description ? `<div>${esc(words(x.description))}</div>` : ""}${x.advice ? `<div class="advice">${esc(words(x.advice))}</div>` : ""}
<div class="where muted">${where.join(" · ")}</div>
<details data-d="${esc(x.fingerprint)}"><summary>evidence (${(x.evidence ?? []).length})</summary>${statesTable(x.evidence)}</details>
${hostsDetails(x.hosts, x.fingerprint)}`;
}

// reports lists the stored verification reports, newest first, each linking
// to its rendered page.
export const reports = {
  mount(root) {
    root.innerHTML = `<h2>Verification reports</h2><div id="rlist"></div>`;
  },
  load: async () => ({ reports: await get("/api/v1/reports") }),
  render(_root, { reports: r }) {
    const items = r.items ?? [];
    patch(byId("rlist"), items.length ? `<table class="list"><thead><tr><th>report</th><th>run</th><th>when</th><th>new failures</th>
<th>fixed</th><th>still broken</th><th>summary</th><th>as</th></tr></thead><tbody>${items.map(report).join("")}</tbody></table>`
      : `<p class="muted">No report yet: reports are written by the config's scheduled runs.</p>`);
  },
};

function report(m) {
  const u = `/api/v1/reports/${seg(m.id)}`;
  return `<tr><td><a href="${u}?format=html">${esc(m.id)}</a></td><td>${esc(m.name)}</td><td>${when(m.at)} ago</td>
<td>${esc(m.new_failures)}</td><td>${esc(m.fixed)}</td><td>${esc(m.still_broken)}</td><td>${esc(m.summary_text)}</td>
<td><a href="${u}?format=html">HTML</a> · <a href="${u}?format=markdown">Markdown</a> · <a href="${u}">JSON</a></td></tr>`;
}

// agent shows the agent's status, its config's reload state, its checks and
// the running config (the last good one), secrets redacted by the agent.
export const agent = {
  mount(root) {
    root.innerHTML = `<h2>This agent</h2><div id="astatus"></div><h3>Checks</h3><div id="achecks"></div>
<h3>Running config</h3><div id="aconfig"></div>`;
  },
  load: async () => {
    const [checks, cfg] = await Promise.all([get("/api/v1/checks"), get("/api/v1/config")]);
    return { checks: checks.items ?? [], cfg };
  },
  render(_root, { status: s, checks, cfg }) {
    patch(byId("astatus"), status(s));
    patch(byId("achecks"), checksTable(checks));
    patch(byId("aconfig"), `<p class="muted">From ${esc(cfg.file)}; secrets, header values and URL paths, queries and passwords are redacted.</p>
<pre id="running-config">${esc(cfg.yaml)}</pre>`);
  },
};

function status(s) {
  const c = s.config ?? {};
  const rows = [["name", esc(s.name)], ["version", esc(s.version)], ["up", `${esc(span((s.uptime_seconds ?? 0) * 1000))} (since ${when(s.started)} ago)`],
    ["config file", esc(c.file)], ["config generation", esc(c.generation)],
    ["last reload", `${c.successful ? "succeeded" : "<span class=\"fail\">FAILED</span>"} ${when(c.last_attempt)} ago` +
      (c.error ? `: ${esc(words(c.error))}` : "")],
    ["pending restart", esc((c.pending_restart ?? []).join(", ") || "none")],
    ["checks", esc(`${s.checks?.total ?? 0} (${s.checks?.passing ?? 0} passing, ${s.checks?.failing ?? 0} failing, ${s.checks?.pending ?? 0} pending)`)]];
  for (const x of s.conditions ?? []) rows.push([esc(x.type), `${x.status === "True" ? "ok" : "<span class=\"fail\">FAILING</span>"} ${when(x.lastTransitionTime)}: ${esc(words(x.message))}`]);
  for (const [k, v] of Object.entries(s.source_errors ?? {})) rows.push([`source ${esc(k)}`, `<span class="fail">${esc(words(v))}</span>`]);
  for (const e of s.label_errors ?? []) rows.push(["label error", esc(JSON.stringify(e))]);
  for (const e of c.errors ?? []) rows.push(["config error", esc(JSON.stringify(e))]);
  return `<table class="kv">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>`;
}
