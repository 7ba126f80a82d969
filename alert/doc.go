// Package alert owns swarmlink's alerting: it turns the stream of probe
// results into alerts people can act on, and delivers them.
//
// # From the diagnosis to alerts
//
// The engine judges no link itself. The agent's link tracker (package
// links: F of the last N results failed → failing, R successes → healthy,
// a lossy working link → degraded) holds every link's state; the agent
// gathers every peer's view and the engine renders the one cluster
// diagnosis (links.Diagnose) about once a second: one alert per finding
// kind (host down, a node's inbound or outbound data plane, MTU, a
// published port, one way, link down, loss past loss_percent, peer key,
// clock skew, a busy responder, a failing user check). Drained and removed
// nodes raise nothing; a node that is down is a failure, not a plan.
//
// A new alert fires once views generated after it was first seen still show
// it (the engine asks for them at once through Options.Regather), never
// while a link about its nodes is pending, and — except the host alert —
// never about a node whose view is missing (at most 30 s). A diagnosis
// without quorum (this node cut off, or fewer than half of the other
// views) fires and resolves nothing, so a cut-off node delivers nothing
// about faults it could not see once it is back.
//
// # Who sends what
//
// Every agent renders the same diagnosis, so every agent finds the same
// alerts, with the same label set (node-wide ones have source="cluster" and
// the node as destination and node label). A few agents evaluate them (the
// first Config.Evaluators nodes by name, see Evaluator); the others only
// their own checks. Alertmanager deduplicates them by labels. Receivers that do not deduplicate (webhooks, Slack) get a
// shared alert from one agent only: the first node, by name, whose view
// arrived and that the alert is not about. A user check's alert is its own
// agent's. The label set (alertname, source, destination, path, cause,
// severity, cluster, node, probe) is fixed when an alert starts: a finding
// whose cause changes keeps one alert.
//
// # Delivery
//
// Every notification is a per-notifier entry in a durable queue (the
// "alert_queue" bucket), delivered in order with capped exponential backoff,
// so one dead receiver never holds up another and a restart loses nothing.
// The lifetime of each alert is kept in the "alert_state" bucket: a restarted
// engine picks up its firing alerts, keeps them firing until the links are
// seen healthy again, and never sends a second "firing" message to a webhook
// or Slack for the same alert. Alertmanager gets every firing alert again
// each resend interval (it deduplicates by labels) and explicit resolves.
// Delivery is at least once: a crash between a receiver's 2xx and the
// removal of the queue entry re-sends that one batch.
package alert
