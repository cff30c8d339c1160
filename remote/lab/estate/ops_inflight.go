package estate

import (
	"sort"
	"time"
)

// Long operations go on running on the node when the client that started them goes
// away (a killed ssisha, a dropped network): SQL Server setup is a process of its own,
// New-Cluster runs in a scheduled task, and the catalog is restored by SQL Server.
// Each can be found again the way a person would find it, which is what
// win.inflight.list reports; so can any other of ssisha's scripts, which a WinRM shell
// runs on after its client is gone until the shell times out.

// RunningKind is how a long operation shows on a node.
type RunningKind string

// The kinds of long operation a node shows.
const (
	// RunningSetup: setup.exe, found with Win32_Process by its command line.
	RunningSetup RunningKind = "setup"
	// RunningTask: a scheduled task under \ssisha\, found with Get-ScheduledTask.
	RunningTask RunningKind = "task"
	// RunningRestore: the catalog's RESTORE DATABASE, found in sys.dm_exec_requests.
	RunningRestore RunningKind = "restore"
	// RunningCommand: any other of ssisha's scripts, a powershell.exe whose encoded
	// command begins with its ssisha-op line.
	RunningCommand RunningKind = "command"
)

// RunningOp is one operation running on a node, as the runtime tracks it.
type RunningOp struct {
	Op    string
	Since time.Time
}

// longOps says how each long operation shows while it runs.
var longOps = map[string]struct {
	kind RunningKind
	what string
}{
	"master.install":        {RunningSetup, `setup.exe /Q /ACTION=Install /FEATURES=IS,IS_Master`},
	"master.uninstall":      {RunningSetup, `setup.exe /Q /ACTION=Uninstall /FEATURES=IS_Master`},
	"worker.install":        {RunningSetup, `setup.exe /Q /ACTION=Install /FEATURES=IS,IS_Worker`},
	"worker.uninstall":      {RunningSetup, `setup.exe /Q /ACTION=Uninstall /FEATURES=IS_Worker`},
	"cluster.create":        {RunningTask, `\ssisha\ssisha-new-cluster (New-Cluster)`},
	"ssisdb.catalog.create": {RunningRestore, `RESTORE DATABASE SSISDB (catalog creation)`},
}

// IsSetup reports whether op runs SQL Server setup: one at a time on a node.
func IsSetup(op string) bool { return longOps[op].kind == RunningSetup }

// ErrSetupRunning is what a second SQL Server setup says while one runs on the node.
func ErrSetupRunning(n *Node) error {
	return errorf("SQL Server setup failed on %s: another instance of SQL Server Setup is already running on this computer. Wait for it to finish (Task Manager shows setup.exe; its log is under Setup Bootstrap\\Log), then run setup again.", sqlServerNameOf(n))
}

// inflightOps adds the operations of this file to t.
func inflightOps(t *Operations) {
	t.AddPS("win.inflight.list", inflightList)
}

// inflightList lists the long operations running on the node, oldest first.
func inflightList(c *OpContext, _ Params) (any, error) {
	type running struct {
		Kind  RunningKind `json:"kind"`
		What  string      `json:"what"`
		Since string      `json:"since"`
	}
	out := []running{}
	ops := append([]RunningOp(nil), c.Running...)
	sort.Slice(ops, func(i, j int) bool { return ops[i].Since.Before(ops[j].Since) })
	for _, r := range ops {
		l, ok := longOps[r.Op]
		if !ok {
			l.kind, l.what = RunningCommand, "powershell.exe (ssisha-op: "+r.Op+")"
		}
		out = append(out, running{Kind: l.kind, What: l.what, Since: r.Since.UTC().Format(time.RFC3339)})
	}
	return map[string]any{"running": out}, nil
}
