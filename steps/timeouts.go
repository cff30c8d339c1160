package steps

import (
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// longOps are the operations a node may take longer over than the client's
// per-command timeout (two minutes unless the connection says otherwise): SQL Server
// setup, Windows features, the cluster and its roles, and whatever restarts SQL
// Server. The figures are upper bounds with room for a slow server, not estimates;
// cutting an operation short would stop it halfway (a cancelled command is signalled
// to terminate), so they err long.
var longOps = map[string]time.Duration{
	// SQL Server setup: a Scale Out Master or Worker with Integration Services takes
	// 4–10 minutes on a healthy server, much longer with a slow disk or antivirus.
	"master.install":   60 * time.Minute,
	"master.uninstall": 60 * time.Minute,
	"worker.install":   60 * time.Minute,
	"worker.uninstall": 60 * time.Minute,
	// Install-WindowsFeature and its reverse, servicing stack included.
	"win.feature.install":   30 * time.Minute,
	"win.feature.uninstall": 30 * time.Minute,
	// New-Cluster validates and forms the cluster; Remove-Cluster cleans up the name
	// objects; a Generic Service role waits for its network name to come online.
	"cluster.create":      15 * time.Minute,
	"cluster.destroy":     15 * time.Minute,
	"cluster.quorum.set":  15 * time.Minute,
	"cluster.role.create": 15 * time.Minute,
	"cluster.role.remove": 15 * time.Minute,
	"failover.role.move":  15 * time.Minute,
	// Enabling or disabling Always On restarts the SQL Server service.
	"master.alwayson.enable":  15 * time.Minute,
	"master.alwayson.disable": 15 * time.Minute,
	// catalog.create_catalog deploys SSISDB from its backup.
	"ssisdb.catalog.create": 15 * time.Minute,
	// Services that must stop and start again.
	"settings.master.restart": 10 * time.Minute,
	"worker.service.restart":  10 * time.Minute,
	// Availability group changes wait for the cluster; the listener for its name and
	// address to come online; a failover for the new primary to take over.
	"ag.create":          10 * time.Minute,
	"ag.join":            10 * time.Minute,
	"ag.drop":            10 * time.Minute,
	"ag.listener.add":    10 * time.Minute,
	"ag.listener.remove": 10 * time.Minute,
	"failover.ag.move":   10 * time.Minute,
}

// withLongTimeout gives an operation in longOps its time, unless the script sets
// its own.
func withLongTimeout(op string, current time.Duration) time.Duration {
	if current == 0 {
		return longOps[op]
	}
	return current
}

func psTimed(s script.PowerShell) script.PowerShell {
	s.Timeout = withLongTimeout(s.Op, s.Timeout)
	return s
}

func sqlTimed(b script.TSQL) script.TSQL {
	b.Timeout = withLongTimeout(b.Op, b.Timeout)
	return b
}
