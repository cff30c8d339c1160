// Command ssisha makes an SSIS Scale Out Master highly available across a Windows
// Server Failover Cluster: guided, checked, journaled and reversible.
package main

import (
	"os"

	"github.com/ssisha/ssisha/cli"
)

// Set by the release build (-ldflags -X).
var (
	version = "dev"
	commit  = "none"
	date    = "unknown"
)

func main() {
	os.Exit(cli.Main(cli.BuildInfo{Version: version, Commit: commit, Date: date}, os.Args[1:]))
}
