// Command e2edigest prints a short digest of the failed specs in a Ginkgo
// JSON report: one block per failure with its spec, location and the first
// lines of its message. `make test-e2e` runs it last when the suite fails,
// so that the tail of a CI log — often all a CI system keeps — says why.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// maxMessage bounds each failure's message in the digest.
const maxMessage = 1200

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: e2edigest REPORT.json")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "e2edigest:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read report: %w", err)
	}
	var reports []types.Report
	if err := json.Unmarshal(b, &reports); err != nil {
		return fmt.Errorf("parse report %s: %w", path, err)
	}
	n := 0
	for _, r := range reports {
		for _, s := range r.SpecReports {
			if !s.State.Is(types.SpecStateFailureStates) {
				continue
			}
			n++
			fmt.Printf("=== failed %d: %s (%s, %s)\n", n, s.FullText(), s.State, s.RunTime.Round(1e6))
			fmt.Printf("    at %s\n", s.Failure.Location)
			fmt.Println(indent(clip(s.Failure.Message, maxMessage)))
		}
	}
	if n == 0 {
		fmt.Println("=== e2e digest: no failed specs in", path)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf(" … (%d more bytes)", len(s)-n)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n    ")
}
