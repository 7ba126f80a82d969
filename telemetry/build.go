package telemetry

import (
	"runtime"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// devVersion is what main.version holds when no -ldflags -X set it.
const devVersion = "dev"

// Build identifies the running binary.
type Build struct {
	Version   string // git describe, from -ldflags -X main.version (see the Makefile)
	Revision  string // the commit, from -X main.revision or the toolchain's VCS stamp; else "unknown"
	GoVersion string // the toolchain that built the binary
}

// ReadBuild returns the identity of the running binary. version and rev are
// what the linker set, if anything. An unset revision comes from the
// toolchain's VCS stamp (absent with -buildvcs=false or outside a checkout).
// An unset version ("" or "dev", a plain `go build`) becomes the module
// version the toolchain stamped, or "dev-<revision>", so that even such a
// build names the commit it came from when it can.
func ReadBuild(version, rev string) Build {
	b := Build{Version: version, Revision: rev, GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if b.Revision == "" {
		b.Revision = "unknown"
		if ok {
			b.Revision = revision(info)
		}
	}
	if b.Version != "" && b.Version != devVersion {
		return b
	}
	switch {
	case ok && info.Main.Version != "" && info.Main.Version != "(devel)":
		b.Version = info.Main.Version
	case b.Revision != "unknown":
		b.Version = devVersion + "-" + b.Revision[:min(12, len(b.Revision))]
	default:
		b.Version = devVersion
	}
	return b
}

func revision(info *debug.BuildInfo) string {
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	switch {
	case rev == "":
		return "unknown"
	case dirty:
		return rev + "-dirty"
	}
	return rev
}

// RegisterBuildInfo registers swarmlink_build_info{version,goversion,revision},
// always 1, on reg: a join target that puts the version next to any series.
func RegisterBuildInfo(reg prometheus.Registerer, b Build) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "swarmlink_build_info",
		Help: "Always 1; the labels say which build is running."}, []string{"version", "goversion", "revision"})
	g.WithLabelValues(b.Version, b.GoVersion, b.Revision).Set(1)
	reg.MustRegister(g)
}
