// Package charts holds swarmlink's deployment artefacts: the Swarm stack
// (swarm/), the Grafana dashboard (grafana/) and the Prometheus rules and
// scrape config (prometheus/). It has no code; its tests hold the artefacts
// to what a running agent exports and to what promtool accepts.
package charts
