package steps

import (
	"strconv"
	"time"
)

// The time limits the long operations' scripts declare: a node may take longer over
// them than the client's per-command timeout (two minutes unless the connection says
// otherwise). The figures are upper bounds with room for a slow server, not
// estimates; cutting an operation short would stop it halfway (a cancelled command is
// signalled to terminate), so they err long. A script that declares none gets the
// client's.
//
// taskSeconds is the time limit of a one-shot task run by a script of that limit: the
// task gives up first, so the script still stops and unregisters it.
const (
	// limitSetup: SQL Server setup of a Scale Out Master or Worker with Integration
	// Services takes 4–10 minutes on a healthy server, much longer with a slow disk or
	// antivirus.
	limitSetup = 60 * time.Minute
	// limitFeature: Install-WindowsFeature and its reverse, servicing stack included.
	limitFeature = 30 * time.Minute
	// limitCluster: New-Cluster validates and forms the cluster; Remove-Cluster cleans
	// up the name objects; a Generic Service role waits for its network name to come
	// online.
	limitCluster = 15 * time.Minute
	// taskCleanupMargin is what a script that runs a one-shot task keeps of its limit
	// for stopping and unregistering the task when the task runs out of time.
	taskCleanupMargin = 2 * time.Minute
	// limitClusterCreate: New-Cluster runs the validation tests first, which take up to
	// half an hour on a slow network; the task gets that, the script the margin more.
	limitClusterCreate = 30*time.Minute + taskCleanupMargin
	// limitSQLRestart: enabling or disabling Always On restarts the SQL Server service.
	limitSQLRestart = 15 * time.Minute
	// limitCatalog: catalog.create_catalog deploys SSISDB from its backup.
	limitCatalog = 15 * time.Minute
	// limitServiceRestart: services that must stop and start again.
	limitServiceRestart = 10 * time.Minute
	// limitAG: availability group changes wait for the cluster; the listener for its
	// name and address to come online; a failover for the new primary to take over.
	limitAG = 10 * time.Minute
)

func taskSeconds(scriptLimit time.Duration) string {
	return strconv.Itoa(int((scriptLimit - taskCleanupMargin).Seconds()))
}
