// Package ui_test drives swarmlink's web UI in a real headless Chromium
// (Debian's chromium package, through the DevTools protocol): against two
// real agents on loopback with real recorded history, and against a
// synthetic 200-node diagnosis. Screenshots go to the artifacts directory
// the suite prints ($SWARMLINK_UI_ARTIFACTS, default test/ui/artifacts).
package ui_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// bin is the real swarmlink binary; chromium the browser; artifacts where
// screenshots and timings are kept.
var bin, chromium, artifacts string

func TestUI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "UI browser Suite")
}

var _ = BeforeSuite(func() {
	chromium = findChromium()
	if chromium == "" {
		Skip("no chromium found (set SWARMLINK_CHROMIUM, or run hack/deps.sh to install Debian's chromium)")
	}
	var err error
	artifacts, err = filepath.Abs(cmpOr(os.Getenv("SWARMLINK_UI_ARTIFACTS"), "artifacts"))
	Expect(err).NotTo(HaveOccurred())
	Expect(os.MkdirAll(artifacts, 0o755)).To(Succeed())
	fmt.Fprintf(os.Stderr, "ui browser tests: screenshots and timings in %s\n", artifacts)
	bin, err = gexec.Build("github.com/swarmlink/swarmlink")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(gexec.CleanupBuildArtifacts)
})

func findChromium() string {
	if p := os.Getenv("SWARMLINK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
