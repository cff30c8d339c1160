package estate

import (
	"encoding/json"
	"sort"
	"strings"
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
	// PID is the process running it, as a marker records it.
	PID int
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
	t.AddPS("win.inflight.clear", inflightClear)
}

// InflightDir is where ssisha's long scripts leave their markers.
const InflightDir = `C:\ProgramData\ssisha\inflight\`

// inflightMarkerLine is the line of a script that writes a marker.
const inflightMarkerLine = "# ssisha-inflight: marker"

// inflightMarker is a marker file as the script writes it.
type inflightMarker struct {
	RunID          string `json:"runId"`
	Step           int    `json:"step"`
	Action         string `json:"action"`
	What           string `json:"what"`
	Op             string `json:"op"`
	Started        string `json:"started"`
	PID            int    `json:"pid,omitempty"`
	ProcessStarted string `json:"processStarted,omitempty"`
}

// WriteInflightMarker models the first lines of a long script: when its code writes a
// marker and its parameters name one, the file appears on n, written by self's
// process. It returns the file's path, or "" when the script writes none.
func WriteInflightMarker(n *Node, code, op string, p Params, self RunningOp) string {
	m, ok := p["inflight"].(map[string]any)
	if !ok || n == nil || !strings.Contains(code, inflightMarkerLine) {
		return ""
	}
	file := Params(m).String("file")
	file = file[strings.LastIndexAny(file, `\/`)+1:]
	if file == "" {
		return ""
	}
	mp := Params(m)
	body, _ := json.Marshal(inflightMarker{RunID: mp.String("runId"), Step: mp.Int("step"), Action: mp.String("action"), What: mp.String("what"), Op: op,
		Started: self.Since.UTC().Format(time.RFC3339Nano), PID: self.PID, ProcessStarted: self.Since.UTC().Format(time.RFC3339Nano)})
	path := InflightDir + file
	n.Files[path] = string(body)
	return path
}

// RemoveInflightMarker models the script's last lines: the marker goes when the work
// ends, however it ends.
func RemoveInflightMarker(n *Node, path string) {
	if n != nil && path != "" {
		delete(n.Files, path)
	}
}

// markers reads the markers on c's node; alive says whether the process that wrote
// each still runs.
func markers(c *OpContext) map[string]inflightMarker {
	out := map[string]inflightMarker{}
	for path, body := range c.Node.Files {
		if !strings.HasPrefix(strings.ToLower(path), strings.ToLower(InflightDir)) {
			continue
		}
		var m inflightMarker
		if json.Unmarshal([]byte(body), &m) == nil {
			out[path[len(InflightDir):]] = m
		}
	}
	return out
}

// alive reports whether the process that wrote m still runs on c's node: the same
// process id, started at the same time (ids are reused).
func (m inflightMarker) alive(c *OpContext) bool {
	for _, r := range c.Running {
		if r.PID == m.PID && r.Since.UTC().Format(time.RFC3339Nano) == m.ProcessStarted {
			return true
		}
	}
	return false
}

// inflightClear removes the named markers whose process is gone.
func inflightClear(c *OpContext, p Params) (any, error) {
	all := markers(c)
	cleared := []string{}
	for _, name := range p.Strings("files") {
		name = name[strings.LastIndexAny(name, `\/`)+1:]
		m, ok := all[name]
		if !ok || m.alive(c) {
			continue
		}
		delete(c.Node.Files, InflightDir+name)
		cleared = append(cleared, name)
	}
	return map[string]any{"cleared": cleared}, nil
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
	// As the script lists them: without the process, which only says whether alive.
	type marker struct {
		File string `json:"file"`
		inflightMarker
		Alive bool `json:"alive"`
	}
	found := markers(c)
	ms := []marker{}
	for _, name := range sortedKeys(found) {
		m := found[name]
		alive := m.alive(c)
		m.PID, m.ProcessStarted = 0, ""
		ms = append(ms, marker{File: name, inflightMarker: m, Alive: alive})
	}
	return map[string]any{"running": out, "markers": ms}, nil
}
