package config

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/swarmlink/swarmlink/controller"
)

// Upper and lower bounds of the schema. A value outside them is rejected at
// load with the field, the value and the bound; they keep a typo (or a
// hostile file) from costing the agent memory or CPU.
const (
	MaxFileBytes    = 4 << 20 // config file size, checked before parsing
	MaxProbes       = 10000   // entries of probes
	MaxListItems    = 1000    // entries of any other list
	MaxMapEntries   = 100     // entries of any mapping (labels, http.headers)
	MaxStringLength = 4096    // bytes of any string value

	MinInterval = controller.MinInterval // probe, defaults, mesh and swarm intervals
	MaxInterval = controller.MaxInterval
	MinTimeout  = controller.MinTimeout
	MaxTimeout  = controller.MaxTimeout
	MinRefresh  = time.Second // agent.resync_interval, mesh.refresh, swarm.refresh
	MaxRefresh  = 24 * time.Hour

	MinRetention     = time.Minute
	MaxRetention     = 366 * 24 * time.Hour
	MinFlushInterval = 10 * time.Millisecond
	MaxFlushInterval = time.Minute

	MaxProbeCount   = 100              // udp.count, icmp.count, mesh.udp_count: packets per run
	MaxMinAnswers   = 1000             // dns.min_answers
	MaxSubsetK      = 1000             // mesh.subset_k
	MinICMPGap      = time.Millisecond // icmp.interval, between packets
	MaxICMPGap      = 10 * time.Second
	MinMaxPayload   = 1024
	MaxPayloadLimit = 1 << 20 // mesh.max_payload; must equal mesh.MaxPayloadLimit (not imported: config must not depend on mesh)
)

// readFile reads a config file of at most MaxFileBytes, checking the size
// before reading so that a huge file is never loaded.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, tooLarge(path, st.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return data, nil
}

func tooLarge(file string, size int64) *Error {
	return &Error{File: file, Errors: []FieldError{{File: file,
		Msg: fmt.Sprintf("file is %d bytes: at most %d (4 MiB)", size, MaxFileBytes)}}}
}

// listLimit is the most entries the list at path may hold.
func listLimit(path string) int {
	if path == "probes" {
		return MaxProbes
	}
	return MaxListItems
}

// durationIn checks lo <= d <= hi, reporting a value <= 0 as such.
func (v *validator) durationIn(path string, d, lo, hi time.Duration) {
	switch {
	case d <= 0:
		v.errf(path, "invalid duration %s: must be greater than zero", d)
	case d < lo:
		v.errf(path, "duration %s is below the minimum %s", d, lo)
	case d > hi:
		v.errf(path, "duration %s is above the maximum %s", d, hi)
	}
}

// intIn checks lo <= n <= hi.
func (v *validator) intIn(path string, n, lo, hi int) {
	if n < lo || n > hi {
		v.errf(path, "invalid value %d: expected %d to %d", n, lo, hi)
	}
}
