// model.js: the words and orderings of the link model (package links) as
// the UI shows them. The UI judges nothing itself: states, causes and
// findings come from the agent's diagnosis.

import { esc, seg } from "./dom.js";

// rank orders states worst first.
const rank = { failing: 0, degraded: 1, unknown: 2, pending: 3, healthy: 4 };

// badness is a state's sort key, worst lowest; unknown states sort last.
export const badness = (state) => rank[state] ?? 5;

// label is a state in a word, as cells and badges show it.
const labels = { healthy: "ok", pending: "pending", degraded: "degraded", failing: "FAILING", unknown: "unknown" };
export const label = (state) => labels[state] ?? String(state ?? "");

// badge is a state as a coloured word.
export function badge(state, text = label(state)) {
  return `<span class="badge ${esc(state)}">${esc(text)}</span>`;
}

// sinceVerb says what a state has been for ("failing 3m", "degraded 2h").
export function sinceVerb(state) {
  return { failing: "failing", degraded: "degraded", unknown: "unknown", pending: "pending", healthy: "healthy" }[state] ?? "since";
}

// findingVerb is the state a finding's kind stands for.
export const findingState = (f) => (f.kind === "loss" || f.severity === "warning" ? "degraded" : f.severity === "info" ? "unknown" : "failing");

// linkHref is the link page of one direction of one path.
export const linkHref = (from, to, path) => `#/link/${seg(from)}/${seg(to)}/${seg(path)}`;

// nodeHref is a node's page.
export const nodeHref = (node) => `#/node/${seg(node)}`;

// nodeLink is a node's name linking to its page.
export const nodeLink = (node) => `<a href="${nodeHref(node)}">${esc(node)}</a>`;

// prefix is the group a node name belongs to: the name without its trailing
// number ("web-03" → "web", "node22" → "node", "db-eu-1" → "db-eu").
export function prefix(name) {
  const p = String(name).replace(/[-_.]?\d+$/, "");
  return p || String(name);
}

// cellIndex maps "path|from|to" to the diagnosis's cells.
export function cellIndex(d) {
  const m = new Map();
  for (const c of d.cells ?? []) m.set(`${c.path}|${c.from}|${c.to}`, c);
  return m;
}

// findingsOf are the findings that concern node.
export function findingsOf(d, node) {
  return (d.findings ?? []).filter((f) => f.node === node || f.from === node || f.to === node);
}
