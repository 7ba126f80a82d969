package scale

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The kernel's ARP table is shared by every network namespace, and its
// gc_thresh3 (1024 by default) caps the entries of all of them together.
// K namespaces that all talk to each other need about K*K: at K=50 the
// table overflows ("neighbor table overflow!" in dmesg) and new neighbours,
// the root namespace's among them, are not resolved. raiseNeigh lifts the
// limits for the run and saves the old values, which Cleanup puts back.

var neighKeys = []string{"gc_thresh1", "gc_thresh2", "gc_thresh3"}

func neighFile(key string) string {
	return "/proc/sys/net/ipv4/neigh/default/" + key
}

// neighSaved is where the machine's values wait for Cleanup.
var neighSaved = filepath.Join(StateDir, "neigh.saved")

// raiseNeigh sets gc_thresh2 and 3 to at least 2*K*K + 4096 and 4*K*K + 8192.
func raiseNeigh(k int) error {
	if _, err := os.Stat(neighSaved); err != nil {
		var old []string
		for _, key := range neighKeys {
			b, err := os.ReadFile(neighFile(key))
			if err != nil {
				return err
			}
			old = append(old, key+"="+strings.TrimSpace(string(b)))
		}
		if err := os.MkdirAll(StateDir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(neighSaved, []byte(strings.Join(old, "\n")+"\n"), 0o644); err != nil {
			return err
		}
	}
	want := map[string]int{"gc_thresh2": 2*k*k + 4096, "gc_thresh3": 4*k*k + 8192}
	for key, v := range want {
		b, _ := os.ReadFile(neighFile(key))
		if cur, _ := strconv.Atoi(strings.TrimSpace(string(b))); cur >= v {
			continue
		}
		if err := os.WriteFile(neighFile(key), []byte(strconv.Itoa(v)), 0o644); err != nil {
			return fmt.Errorf("raising %s: %w", key, err)
		}
	}
	return nil
}

// restoreNeigh puts the saved values back, if any were saved.
func restoreNeigh() error {
	b, err := os.ReadFile(neighSaved)
	if err != nil {
		return nil
	}
	for _, line := range strings.Fields(string(b)) {
		key, v, _ := strings.Cut(line, "=")
		if err := os.WriteFile(neighFile(key), []byte(v), 0o644); err != nil {
			return fmt.Errorf("restoring %s: %w", key, err)
		}
	}
	return os.Remove(neighSaved)
}
