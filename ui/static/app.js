// app.js: the UI's entry point. It routes the address's hash to a page,
// polls the agent every few seconds and lets the page patch what changed:
// no reload, no flicker. Every page is a module with mount (lay out once per
// visit), an optional load (fetch what it needs besides the diagnosis and
// the status) and render (patch the page from the data).

import { get, matrix as getMatrix } from "./api.js";
import { byId, esc, patch } from "./dom.js";
import { clock, words } from "./time.js";
import * as overview from "./overview.js";
import * as matrix from "./matrix.js";
import * as link from "./link.js";
import * as node from "./node.js";
import { agent, alerts, reports } from "./pages.js";

const refreshMs = 5000;
const partialShown = 5; // missing views named in the banner; the rest fold
const routes = { "": overview, matrix, link, node, alerts, reports, agent };

let current = null; // {key, page, params}
let seq = 0; // the latest tick; an older one's answer is dropped
let timer = 0;
let measured = false;

// route parses the hash: #/name/arg/arg?query.
function route() {
  const [path, q = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", ...args] = path.split("/").filter(Boolean).map(decode);
  const arity = { link: 3, node: 1 }; // #/link/from/to/path, #/node/name
  const page = (args.length >= (arity[name] ?? 0) && routes[name]) || overview;
  return { key: location.hash.split("?")[0] + "?" + q, page, name, params: { args, query: new URLSearchParams(q) } };
}

// decode is decodeURIComponent that keeps a malformed segment as it is.
function decode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function navigate() {
  const r = route();
  if (current?.key === r.key) return;
  current = r;
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("on", a.dataset.nav === (r.name || "overview"));
  r.page.mount(byId("page"), r.params);
  tick();
}

// tick fetches and renders once, then schedules the next one.
async function tick() {
  clearTimeout(timer);
  const my = ++seq, r = current;
  try {
    const [m, status] = await Promise.all([getMatrix(), get("/api/v1/status")]);
    const extra = r.page.load ? await r.page.load(r.params, { matrix: m, status }) : {};
    if (my !== seq) return;
    header(m, status);
    r.page.render(byId("page"), { matrix: m, status, ...extra }, r.params);
    patch(byId("updated"), `updated ${esc(clock(new Date()))}`);
    measure();
  } catch (e) {
    if (my !== seq) return;
    patch(byId("updated"), `<span class="fail">refresh failed: ${esc(e.message)}</span> (retrying)`);
  }
  timer = setTimeout(tick, document.hidden ? refreshMs * 4 : refreshMs);
}

// header shows who is talking, the verdict and the banners every page
// needs: a partial view, this node cut off, a failing store or reload.
function header(d, s) {
  patch(byId("who"), `${esc(s.name)} <span class="muted">${esc(s.version)}</span>`);
  const v = byId("verdict");
  v.className = `verdict ${d.verdict}`;
  v.textContent = d.verdict;
  const b = [];
  if (d.cut_off) {
    b.push(`<div class="banner failing"><b>${esc(d.self)} is itself cut off:</b> it reaches none of its peers, so everything shown here is its own side only. Look at another node's UI for the cluster.</div>`);
  }
  const missing = Object.entries(d.views ?? {}).filter(([, v]) => v.missing);
  if (d.partial || missing.length) b.push(partial(missing, Object.keys(d.views ?? {}).length));
  const store = (s.conditions ?? []).find((c) => c.type === "Storage" && c.status === "False");
  if (store) b.push(`<div class="banner failing"><b>History store failing</b> since ${esc(clock(store.lastTransitionTime))}: ${esc(words(store.message))}</div>`);
  if (s.config && !s.config.successful) b.push(`<div class="banner degraded"><b>Last config reload failed:</b> ${esc(words(s.config.error))} (the last good config keeps running)</div>`);
  patch(byId("banners"), b.join(""));
}

// partial is the banner of missing views: each one's node and why, the
// first few in the banner and the rest folded (at 200 nodes under load a
// list of every one filled the page above the matrix).
function partial(missing, total) {
  const item = ([n, v]) => `the view of <a href="#/node/${encodeURIComponent(n)}">${esc(n)}</a> is missing (${esc(words(v.missing))})`;
  if (!missing.length) return `<div class="banner degraded"><b>Partial view:</b> some views are missing.</div>`;
  missing.sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
  const shown = missing.slice(0, partialShown).map(item).join("; ");
  const rest = missing.slice(partialShown);
  const more = rest.length ? ` <details class="more"><summary>and ${rest.length} more</summary>${rest.map(item).join("; ")}.</details>` : "";
  return `<div class="banner degraded" id="partial"><b>Partial view: ${missing.length} of ${total} views missing —</b> ${shown}.${more}</div>`;
}

// measure writes once how long the first complete render took from the
// start of navigation, painted: tests read it, people may.
function measure() {
  if (measured) return;
  measured = true;
  requestAnimationFrame(() => requestAnimationFrame(() => {
    const ms = Math.round(performance.now());
    const el = byId("render-ms");
    el.dataset.ms = String(ms);
    el.textContent = `· first render ${ms} ms`;
  }));
}

window.addEventListener("hashchange", navigate);
document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
navigate();
