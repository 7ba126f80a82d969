// Package alert owns swarmlink's alerting: it turns the stream of probe
// results into alerts people can act on, and delivers them.
//
// # From results to alerts
//
// The Engine is a controller.Sink: every outbound result, and every inbound
// observation the mesh reports (ObserveInbound), feeds a per-link state
// machine with hysteresis (a link is one source, destination, path, probe
// and direction). A link becomes failing after F of its last N results
// failed and healthy again after R consecutive successes, so one lost packet
// never pages anyone. Links to peers that are draining, down or being removed
// are ignored, and nothing fires during the start-up grace period.
//
// About once a second the engine localises the fault from the whole set of
// link states (Localise, a pure function): a peer unreachable on every path
// in both directions is one host alert, not one alert per link; one broken
// direction is a one-way alert; overlay down while published works is the
// overlay data plane (VXLAN, UDP 4789); small echoes passing while large ones
// fail is MTU; the rest is a plain link (or user check) alert.
//
// # Who sends what
//
// The cluster must not alert twice for one fault, yet every agent sees
// every fault from its own end. The rule is:
//
//   - The SOURCE end sends link alerts for its outbound direction (labels
//     source=<itself>). The destination of a failing echo sees its own
//     echoes fail as well; when the cluster view shows that the peer still
//     receives our one-way probes, our direction works and the peer, the
//     source of the broken direction, is the one who alerts.
//   - Inbound-only failures (probes that should have arrived and did not,
//     while our own probes to that peer pass) are sent by the destination,
//     the only one who knows; the alert names the broken direction with
//     source=<peer>, destination=<itself>.
//   - Host alerts (SwarmlinkHostUnreachable) are sent by every agent that
//     sees the host cut off, with an identical label set (source="cluster",
//     path="all", cause="host-unreachable"), so Alertmanager deduplicates
//     them. Receivers that do not deduplicate (webhooks, Slack) get a shared
//     alert only from the designated reporter: the alphabetically first agent
//     that reports the host failing in the cluster view (every agent, when
//     there is no cluster view).
//
// The label set of an alert (alertname, source, destination, path, cause,
// severity, cluster, and probe for user checks) is fixed when it starts: a
// link whose failure cause changes from timeout to refused keeps one alert.
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
