// time.js: how times read in the UI. Operators read "failing 3m" and
// "12:04:31", never an RFC 3339 timestamp with nanoseconds.

// ago is the age of t ("45s", "3m", "2h 5m", "4d 3h"); "" for no time.
export function ago(t, now = Date.now()) {
  const ms = ms_(t);
  return ms === null ? "" : span(now - ms);
}

// span is a duration in milliseconds, in at most two units.
export function span(ms) {
  if (ms < 0) ms = 0;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h}h ${m % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

// clock is t in the browser's time zone: "14:03:07" today, "Dec 2 14:03"
// before.
export function clock(t) {
  const ms = ms_(t);
  if (ms === null) return "";
  const d = new Date(ms);
  const hms = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  if (new Date().toDateString() === d.toDateString()) return hms;
  return d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + hms.slice(0, 5);
}

// ms_ is t (an RFC 3339 string or a Date) in epoch milliseconds, or null for
// none (Go's zero time included).
function ms_(t) {
  if (!t) return null;
  const ms = t instanceof Date ? t.getTime() : Date.parse(t);
  return Number.isNaN(ms) || ms < 0 ? null : ms;
}

export { ms_ as millis };

const rfc3339 = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g;

// words rewrites the timestamps inside a message ("no probes arrived since
// 2026-12-03T11:53:22Z") as local clock times.
export function words(msg) {
  return String(msg ?? "").replace(rfc3339, (t) => clock(t));
}

// seconds formats a duration in seconds as "412µs", "3.1ms", "1.20s".
export function seconds(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return "";
  if (s < 0.001) return `${Math.round(s * 1e6)}µs`;
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)}ms`;
  return `${s.toFixed(2)}s`;
}
