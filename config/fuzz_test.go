package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/swarmlink/swarmlink/config"
)

// FuzzParse feeds arbitrary bytes to the config parser: it must never panic,
// and every rejection must be a *config.Error naming the file.
//
//	go test ./config -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("testdata/bad/*.yaml")
	for _, p := range append(seeds, bad...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("probes: [{name: a, kind: tcp, target: '127.0.0.1:1', interval: 1s}]\nmesh: {enabled: true}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("probes: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.yaml", data)
		if err == nil {
			if c == nil {
				t.Fatal("nil config without error")
			}
			return
		}
		var ce *config.Error
		if !errors.As(err, &ce) || ce.File != "fuzz.yaml" || len(ce.Errors) == 0 {
			t.Fatalf("rejection is not a *config.Error naming the file: %v", err)
		}
	})
}
