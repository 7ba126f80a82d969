// Package config owns swarmlink's configuration: the typed YAML schema,
// strict decoding (unknown fields are errors), defaults applied in one place,
// validation of every value at load, and live reload that swaps a new config
// in only when it is valid.
//
// Every error names the file, line, field path and what was expected, and all
// errors of a file are reported at once.
package config

import (
	"time"

	"github.com/swarmlink/swarmlink/alert"
	"github.com/swarmlink/swarmlink/probes"
)

// Config is the whole agent configuration.
type Config struct {
	Agent     Agent        `yaml:"agent" json:"agent"`
	Defaults  Defaults     `yaml:"defaults" json:"defaults"`
	History   History      `yaml:"history" json:"history"`
	Probes    []Probe      `yaml:"probes" json:"probes"`
	Schedules []Schedule   `yaml:"schedules" json:"schedules"`
	Mesh      Mesh         `yaml:"mesh" json:"mesh"`
	Swarm     Swarm        `yaml:"swarm" json:"swarm"`
	Alerting  alert.Config `yaml:"alerting" json:"alerting"`

	// File is where the config was read from ("<embedded default>" for the
	// built-in one). Not part of the YAML.
	File string `yaml:"-" json:"file"`
}

// Agent configures the agent process itself.
type Agent struct {
	Name           string        `yaml:"name" json:"name"`                       // identity; default $SWARMLINK_NODE, then hostname
	Listen         string        `yaml:"listen" json:"listen"`                   // HTTP listener; default :9470
	DataDir        string        `yaml:"data_dir" json:"data_dir"`               // history store directory
	LogLevel       string        `yaml:"log_level" json:"log_level"`             // debug | info | warn | error
	TimeZone       string        `yaml:"time_zone" json:"time_zone"`             // for cron schedules; default UTC
	ResyncInterval time.Duration `yaml:"resync_interval" json:"resync_interval"` // periodic reconcile; default 30s
	APITokenFile   string        `yaml:"api_token_file" json:"api_token_file"`   // bearer token for write endpoints; none = read-only API
	// PerCheckHistograms labels the probe duration histogram by link and
	// probe (17 series per check) instead of by path and kind (17 per path
	// and kind in all). Read at start; a reload does not change it.
	PerCheckHistograms bool `yaml:"per_check_histograms" json:"per_check_histograms,omitempty"`
}

// Defaults apply to every probe that does not set its own value.
type Defaults struct {
	Interval time.Duration `yaml:"interval" json:"interval"` // default 30s
	Timeout  time.Duration `yaml:"timeout" json:"timeout"`   // default 5s (capped at the interval)
}

// History configures the result store.
type History struct {
	Retention     time.Duration `yaml:"retention" json:"retention"`           // per-minute rollups; outages 4×; default 168h
	RawRetention  time.Duration `yaml:"raw_retention" json:"raw_retention"`   // raw results; default 15m, at most retention
	FlushInterval time.Duration `yaml:"flush_interval" json:"flush_interval"` // batch commit period; default 200ms
}

// Probe is one user-declared check.
type Probe struct {
	Name        string             `yaml:"name" json:"name"`
	Kind        probes.Kind        `yaml:"kind" json:"kind"`
	Target      string             `yaml:"target" json:"target"`
	Interval    time.Duration      `yaml:"interval" json:"interval"`
	Timeout     time.Duration      `yaml:"timeout" json:"timeout"`
	Schedule    string             `yaml:"schedule" json:"schedule,omitempty"` // cron instead of interval
	Expect      probes.Expectation `yaml:"expect" json:"expect"`
	Destination string             `yaml:"destination" json:"destination,omitempty"` // link end name; default: the target's host
	Labels      map[string]string  `yaml:"labels" json:"labels,omitempty"`

	TCP  *probes.TCPOptions  `yaml:"tcp" json:"tcp,omitempty"`
	HTTP *probes.HTTPOptions `yaml:"http" json:"http,omitempty"`
	DNS  *probes.DNSOptions  `yaml:"dns" json:"dns,omitempty"`
	UDP  *probes.UDPOptions  `yaml:"udp" json:"udp,omitempty"`
	ICMP *probes.ICMPOptions `yaml:"icmp" json:"icmp,omitempty"`
}

// Schedule is a named run on a cron schedule, such as the nightly full
// verification.
type Schedule struct {
	Name     string `yaml:"name" json:"name"`
	Cron     string `yaml:"cron" json:"cron"` // robfig/cron: 5 fields, optional seconds, or @daily
	TimeZone string `yaml:"time_zone" json:"time_zone,omitempty"`
	Run      string `yaml:"run" json:"run"` // "all": every check once
}

// Mesh configures the peer mesh: the responder every agent runs and the
// checks it makes to every other agent.
type Mesh struct {
	Enabled       bool          `yaml:"enabled" json:"enabled"`
	Service       string        `yaml:"service" json:"service,omitempty"`   // discover peers via DNS tasks.<service>
	Resolver      string        `yaml:"resolver" json:"resolver,omitempty"` // default 127.0.0.11:53
	Docker        bool          `yaml:"docker" json:"docker"`               // also discover via the Docker API (managers)
	Static        []StaticPeer  `yaml:"static" json:"static,omitempty"`     // plain Docker hosts
	Listen        string        `yaml:"listen" json:"listen"`               // responder; default :9471
	PublishedPort int           `yaml:"published_port" json:"published_port"`
	KeyFile       string        `yaml:"key_file" json:"key_file,omitempty"` // shared HMAC key (a Swarm secret)
	Interval      time.Duration `yaml:"interval" json:"interval"`
	Timeout       time.Duration `yaml:"timeout" json:"timeout"`
	LargeSize     int           `yaml:"large_size" json:"large_size"` // large echo bytes; 0 = default 65536, -1 = off
	UDPCount      int           `yaml:"udp_count" json:"udp_count"`
	SubsetK       int           `yaml:"subset_k" json:"subset_k,omitempty"` // probe k peers per round; 0 = all
	OneWay        *bool         `yaml:"one_way" json:"one_way"`             // one-way beacons that tell directions apart; default true
	MaxPayload    int           `yaml:"max_payload" json:"max_payload"`
	Refresh       time.Duration `yaml:"refresh" json:"refresh"` // discovery refresh
	// EncryptedSubnet is the subnet of a second agent network created with
	// encrypted on (IPsec ESP between the nodes): the agents' addresses in
	// it are probed as their own path, "encrypted". Empty: no such path.
	EncryptedSubnet string `yaml:"encrypted_subnet" json:"encrypted_subnet,omitempty"`
}

// StaticPeer is a host reached through its published port.
type StaticPeer struct {
	Name    string `yaml:"name" json:"name"`
	Address string `yaml:"address" json:"address"` // host or IP
	Port    int    `yaml:"port" json:"port,omitempty"`
}

// Swarm configures the checks read from the Docker API (package swarm):
// checks defined by swarmlink.check.* labels on services and containers,
// and the generated checks that tell a broken service VIP, ingress routing
// mesh or embedded DNS apart from the tasks behind them. Either needs the
// Docker socket; services are read on managers only.
type Swarm struct {
	Labels   *bool         `yaml:"labels" json:"labels"`     // label checks; default (unset): on when a Docker engine answers
	Checks   bool          `yaml:"checks" json:"checks"`     // generated vip/task/ingress/host/dns checks; default off
	Interval time.Duration `yaml:"interval" json:"interval"` // of generated checks and of label checks without one; default defaults.interval
	Timeout  time.Duration `yaml:"timeout" json:"timeout"`   // likewise; default defaults.timeout, at most interval
	Refresh  time.Duration `yaml:"refresh" json:"refresh"`   // re-read services, tasks and labels; default 15s
	Resolver string        `yaml:"resolver" json:"resolver"` // for tasks.<service>; default 127.0.0.11:53
}
