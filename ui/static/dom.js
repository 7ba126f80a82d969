// dom.js: escaping and flicker-free updates. Pages render HTML strings from
// the API's JSON; these helpers touch the document only where the string
// changed, so a refresh every few seconds neither flickers nor loses the
// scroll position, the focus or an opened <details>.

const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

// esc makes any value safe as HTML text or a quoted attribute value.
export function esc(v) {
  return String(v ?? "").replace(/[&<>"']/g, (c) => entities[c]);
}

// seg encodes one path segment of a hash route.
export const seg = encodeURIComponent;

// written is the HTML each patched element was last given (kept here, not
// in the DOM: a 200-node row's string is long).
const written = new WeakMap();

// patch replaces el's content with html when it differs from what it holds,
// keeping the <details> that were open open.
export function patch(el, html) {
  if (!el || written.get(el) === html) return;
  const open = new Set([...el.querySelectorAll("details[open][data-d]")].map((d) => d.dataset.d));
  el.innerHTML = html;
  written.set(el, html);
  for (const d of el.querySelectorAll("details[data-d]")) {
    if (open.has(d.dataset.d)) d.open = true;
  }
}

// patchRows makes container's children the items [{key, html, cls}] in
// order, reusing each child by key and rewriting only those whose HTML
// changed: a 200-node matrix refreshes a few rows, not 40 000 cells.
export function patchRows(container, items, tag = "div") {
  const old = new Map([...container.children].map((c) => [c.dataset.k, c]));
  let at = container.firstElementChild;
  for (const it of items) {
    let el = old.get(it.key);
    if (el) old.delete(it.key);
    else {
      el = document.createElement(tag);
      el.dataset.k = it.key;
    }
    if (it.cls !== undefined && el.className !== it.cls) el.className = it.cls;
    patch(el, it.html);
    if (el !== at) container.insertBefore(el, at);
    else at = at.nextElementSibling;
  }
  for (const el of old.values()) el.remove();
}

// byId is document.getElementById.
export const byId = (id) => document.getElementById(id);
