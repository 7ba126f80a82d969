package telemetry_test

import (
	"runtime"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/swarmlink/swarmlink/telemetry"
)

var _ = Describe("the build identity", func() {
	It("keeps a version set by the linker and names the toolchain", func() {
		b := telemetry.ReadBuild("v1.2.3-4-gabcdef0-dirty", "abcdef0123")
		Expect(b).To(Equal(telemetry.Build{Version: "v1.2.3-4-gabcdef0-dirty", Revision: "abcdef0123",
			GoVersion: runtime.Version()}))
	})

	It("names an unset version after the linked revision", func() {
		Expect(telemetry.ReadBuild("dev", "abcdef0123456789").Version).To(Equal("dev-abcdef012345"))
		Expect(telemetry.ReadBuild("", "abc").Version).To(Equal("dev-abc"))
	})

	DescribeTable("never reports a bare unset version as if it were one",
		func(v string) {
			b := telemetry.ReadBuild(v, "")
			Expect(b.Version).NotTo(BeEmpty())
			if b.Revision != "unknown" {
				Expect(b.Version).NotTo(Equal("dev"), "a binary that knows its commit says so")
			}
		},
		Entry("empty", ""),
		Entry("the default of main.version", "dev"),
	)

	It("exports swarmlink_build_info with the three labels, value 1", func() {
		reg := prometheus.NewRegistry()
		telemetry.RegisterBuildInfo(reg, telemetry.Build{Version: "v1.2.3", Revision: "abc123", GoVersion: "go1.26.8"})
		Expect(testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP swarmlink_build_info Always 1; the labels say which build is running.
# TYPE swarmlink_build_info gauge
swarmlink_build_info{goversion="go1.26.8",revision="abc123",version="v1.2.3"} 1
`))).To(Succeed())
	})
})
