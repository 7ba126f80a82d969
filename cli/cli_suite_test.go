package cli_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
)

// bin is the real swarmlink binary, built once for the suite: these tests
// drive the command line exactly as a user does.
var bin string

func TestCLI(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CLI Suite")
}

var _ = SynchronizedBeforeSuite(func() []byte {
	path, err := gexec.Build("github.com/swarmlink/swarmlink")
	Expect(err).NotTo(HaveOccurred())
	return []byte(path)
}, func(path []byte) { bin = string(path) })

var _ = SynchronizedAfterSuite(func() {}, gexec.CleanupBuildArtifacts)
