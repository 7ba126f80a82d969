// Package demo tests the README's demo as a newcomer runs it: `make demo`,
// then `make demo-break`, watching every node's diagnosis and the demo's
// Alertmanager, `make demo-heal`, and `make demo-down`. It drives the real
// demo cluster (root, Linux, the tools hack/deps.sh installs), so it runs
// only when asked: `make test-demo` (part of `make test`).
package demo

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestDemo(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "demo")
}
