// Command swarmlink is the swarmlink agent and its command line: it
// continuously checks the network links of a Docker Swarm (overlay and
// published paths between every pair of hosts) and of plain Docker hosts,
// keeps the history of both ends of every link, and explains what broke.
package main

import (
	"context"
	"fmt"
	"os"

	_ "time/tzdata" // cron time zones work in a FROM scratch image

	"github.com/swarmlink/swarmlink/cli"
	"github.com/swarmlink/swarmlink/telemetry"
)

// version and revision are set at build time with -ldflags "-X main.version=...
// -X main.revision=..." (the Makefile and Dockerfile.multistage pass git
// describe and the commit). Without them telemetry.ReadBuild falls back to
// the toolchain's VCS stamp.
var (
	version  = "dev"
	revision = ""
)

func main() {
	build := telemetry.ReadBuild(version, revision)
	err := cli.NewRootBuild(build, os.Stdout, os.Stderr).ExecuteContext(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "swarmlink:", err)
	}
	os.Exit(cli.Code(err))
}
