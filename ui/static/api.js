// api.js: reads the agent's JSON API. Every call is a GET to the agent that
// served the page.

// get fetches path and decodes its JSON; a non-2xx answer is an error
// carrying the status.
export async function get(path) {
  const r = await fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!r.ok) {
    const e = new Error(`${path}: ${r.status} ${r.statusText}`);
    e.status = r.status;
    throw e;
  }
  return r.json();
}

// matrix fetches the diagnosis in its packed form (a tenth of the size at
// 200 nodes: the plain healthy cells one byte each) and unpacks it, so that
// every page reads d.cells whole.
export async function matrix() {
  return unpack(await get("/api/v1/matrix?form=packed"));
}

// HealthyCell is a plain healthy cell: its states are on the prototype, so
// that 80 000 of them are made quickly.
class HealthyCell {
  constructor(from, to, path) {
    this.from = from;
    this.to = to;
    this.path = path;
  }
}
Object.assign(HealthyCell.prototype, { state: "healthy", forward: "healthy", roundtrip: "healthy", large: "healthy" });

// unpack turns a packed diagnosis's healthy rows back into cells, after the
// cells it kept whole; a diagnosis without them is returned as it is.
export function unpack(d) {
  const rows = d.healthy;
  if (!rows) return d;
  const nodes = d.nodes ?? [], cells = d.cells ?? [];
  for (const path of d.paths ?? []) {
    (rows[path] ?? []).forEach((row, i) => {
      for (let j = 0; j < row.length && j < nodes.length; j++) {
        if (row.charCodeAt(j) !== 49) continue; // '1'
        cells.push(new HealthyCell(nodes[i], nodes[j], path));
      }
    });
  }
  d.cells = cells;
  delete d.healthy;
  return d;
}

// query builds a query string from the non-empty values of o.
export function query(o) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null && v !== "") q.set(k, v);
  return q.toString();
}

let noRollups = false; // the agent has no /api/v1/rollups: build them from history

// rollups are one link's per-step RTT p50/p99 and loss over the last
// windowMs, oldest first, as {points: [{t, p50, p99, loss, failed,
// results}], stepMs, source}. They come from GET /api/v1/rollups when the agent
// has it, else they are computed here from the newest 10 000 raw records.
export async function rollups(link, windowMs) {
  const step = Math.max(1, Math.round(windowMs / 120 / 60000));
  const since = `${Math.round(windowMs / 60000)}m`;
  if (!noRollups) {
    try {
      const r = await get(`/api/v1/rollups?${query({ ...link, since, step: `${step}m` })}`);
      return { source: "rollups", stepMs: step * 60e3, points: (r.items ?? []).map(fromRollup) };
    } catch (e) {
      if (e.status !== 404 && e.status !== 405 && e.status !== 501) throw e;
      noRollups = true;
    }
  }
  const h = await get(`/api/v1/history?${query({ ...link, since, limit: 10000 })}`);
  return { source: "history", stepMs: step * 60e3, points: bucket(h.items ?? [], step * 60e3) };
}

function fromRollup(r) {
  return { t: Date.parse(r.time), p50: r.rtt_p50_seconds, p99: r.rtt_p99_seconds, loss: r.loss_ratio, failed: r.failed, results: r.results };
}

// bucket groups raw records by time like the agent's rollups do: RTT
// percentiles of the results that measured one, loss from the echoes sent
// and answered.
export function bucket(records, stepMs) {
  const by = new Map();
  for (const r of records) {
    const t = Math.floor(Date.parse(r.time) / stepMs) * stepMs;
    const b = by.get(t) ?? { t, rtts: [], sent: 0, received: 0, failed: 0, results: 0 };
    b.results++;
    if (!r.passed) b.failed++;
    const d = r.details ?? {};
    if (d.sent > 0) {
      b.sent += d.sent;
      b.received += d.received ?? 0;
      if ((d.received ?? 0) > 0) b.rtts.push(d.rtt_seconds || r.duration_seconds);
    }
    by.set(t, b);
  }
  return [...by.values()].sort((a, b) => a.t - b.t).map((b) => {
    const s = b.rtts.sort((x, y) => x - y);
    const pick = (q) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)] : null);
    return { t: b.t, p50: pick(0.5), p99: pick(0.99), loss: b.sent ? 1 - b.received / b.sent : null, failed: b.failed, results: b.results };
  });
}
