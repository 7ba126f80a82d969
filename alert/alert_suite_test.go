package alert_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestAlert(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Alert Suite")
}

// am is the real Alertmanager the notifier specs talk to; nil when the
// binary is not installed.
var am *alertmanager

var _ = BeforeSuite(func() {
	am = startAlertmanager()
})

var _ = AfterSuite(func() {
	if am != nil {
		am.close()
	}
})
