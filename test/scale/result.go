package scale

// Result is a run's machine-readable summary (summary.json).
type Result struct {
	K             int            `json:"k"`
	Mode          string         `json:"mode"` // "full" or "subset"
	SubsetK       int            `json:"subset_k"`
	IntervalS     float64        `json:"interval_seconds"`
	TimeoutS      float64        `json:"timeout_seconds"`
	Machine       Machine        `json:"machine"`
	StartedAt     string         `json:"started_at"`
	ReadyS        float64        `json:"ready_seconds"`        // all agents answer /healthz
	HealthyS      float64        `json:"healthy_seconds"`      // node1's matrix verdict healthy, -1 if never
	WindowS       float64        `json:"window_seconds"`       // steady-state measurement window
	FaultBoundS   float64        `json:"fault_bound_seconds"`  // longest wait for a finding or the host alert
	SettleS       float64        `json:"settle_seconds"`       // alerting.settle of the agents (0: their default)
	AlertBudgetS  float64        `json:"alert_budget_seconds"` // the host alert's budget: F × interval + timeout + 2 s
	SampledAgents int            `json:"sampled_agents"`       // whose /metrics the window read; probes/s is extrapolated from them
	ProbesPerS    float64        `json:"cluster_probes_per_second"`
	CPUCores      float64        `json:"cluster_cpu_cores"` // agents' CPU seconds per second
	PerAgent      Spread         `json:"per_agent"`
	Matrix        []MatrixTiming `json:"matrix"`
	Faults        []FaultResult  `json:"faults"`
	HostAlert     HostAlert      `json:"host_alert"`
	Alerts        map[string]int `json:"webhook_alerts"` // alertname/status -> count, whole run
	BadSigs       int            `json:"webhook_bad_signatures"`
	Screenshot    string         `json:"screenshot"` // file, or why not
	Leftovers     []string       `json:"leftovers"`
	Errors        []string       `json:"errors"`
	TotalS        float64        `json:"total_seconds"`
}

// Machine describes where the run happened.
type Machine struct {
	NProc    int    `json:"nproc"`
	MemTotal string `json:"mem_total"`
	Load1    string `json:"load1_at_start"`
}

// Spread is min / median / max of each per-agent figure over the window.
type Spread struct {
	CPUMsPerProbe [3]float64 `json:"cpu_ms_per_probe"`
	RSSMiB        [3]float64 `json:"rss_mib"`
	ProbesPerS    [3]float64 `json:"probes_per_second"`
	Series        [3]float64 `json:"metric_series"`
	CPUMsPerS     [3]float64 `json:"cpu_ms_per_second"`       // the agent's CPU, all of it, per second of the window
	FetchesPerS   [3]float64 `json:"view_fetches_per_second"` // peers' views it fetched
	KiBPerFetch   [3]float64 `json:"view_kib_per_fetch"`      // view bytes received per fetch
}

// MatrixTiming is GET /api/v1/matrix from one node.
type MatrixTiming struct {
	Node    string    `json:"node"`
	MillisS []float64 `json:"millis"`
	Bytes   int       `json:"bytes"`
	Cells   int       `json:"cells"`
	Verdict string    `json:"verdict"`
	Error   string    `json:"error,omitempty"`
}

// FaultResult is what node1's diagnosis said about one injected fault.
type FaultResult struct {
	Fault    string    `json:"fault"`
	Expect   string    `json:"expect"` // finding kind awaited
	Seen     bool      `json:"seen"`   // the expected finding appeared
	AfterS   float64   `json:"after_seconds"`
	Findings []Finding `json:"findings"`       // node1's findings when seen (or at the bound)
	HealedS  float64   `json:"healed_seconds"` // verdict healthy again after the heal, -1 if not within the bound
}

// HostAlert is the cut node's SwarmlinkHostUnreachable at the webhook.
type HostAlert struct {
	Node     string   `json:"node"`
	AfterS   float64  `json:"after_seconds"`   // cut to the first firing message, -1 if none
	Firing   int      `json:"firing_messages"` // for that node, within the watch (one expected)
	Senders  []string `json:"senders"`
	Others   []string `json:"other_alerts_during_cut"` // alertname source->destination
	WatchedS float64  `json:"watched_seconds"`
}
