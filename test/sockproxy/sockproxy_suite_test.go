package sockproxy_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestSockproxy(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "sockproxy")
}
