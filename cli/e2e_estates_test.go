package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps"
)

// TestLabEstatesEndToEnd runs the whole life of an installation (apply, a failover
// and back, verify --failover, rollback) on the estates a DBA meets: each SQL Server
// version, engines under a domain account and under the virtual account setup
// proposes. After each failover the lab's health rules (those of a real estate) must
// find nothing.
func TestLabEstatesEndToEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		f    labFlags
		// sharedDir is where setup puts the shared features on every node (INSTALLSHAREDDIR);
		// empty is the default under C:\Program Files.
		sharedDir string
	}{
		{name: "2017 domain account", f: labFlags{sqlVersion: 2017, engine: "domain"}},
		{name: "2019 virtual account", f: labFlags{sqlVersion: 2019, engine: "virtual"}},
		{name: "2022 virtual account", f: labFlags{sqlVersion: 2022, engine: "virtual"}},
		{name: "2022 domain account", f: labFlags{sqlVersion: 2022, engine: "domain"}},
		{name: "2019 named instance, virtual account", f: labFlags{sqlVersion: 2019, engine: "virtual", instance: "SSIS"}},
		{name: "2019 shared features on D:", f: labFlags{sqlVersion: 2019, engine: "domain"}, sharedDir: `D:\Program Files\Microsoft SQL Server`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.f.masters, tc.f.workers, tc.f.encrypt = 2, 1, "tls"
			r := startLabWith(t, tc.f)
			if tc.sharedDir != "" {
				r.lab.Estate(func(e *estate.Estate) {
					for _, n := range e.Nodes {
						n.SharedDir = tc.sharedDir
					}
				})
			}
			before := r.estateJSON()
			if code, out := r.cmd("apply", "--yes"); code != 0 {
				t.Fatalf("apply exited %d:\n%s", code, lastLines(out, 30))
			}
			if p := r.lab.Health(); len(p) > 0 {
				t.Fatalf("the lab finds the set-up estate unhealthy: %v", p)
			}
			if tc.sharedDir != "" {
				r.expectSettingsUnder(t, tc.sharedDir)
			}
			r.runPackages(t)
			for _, to := range []string{"node2.contoso.com", "node1.contoso.com"} {
				if err := r.lab.FailoverAG(to); err != nil {
					t.Fatal(err)
				}
				if err := r.lab.FailoverMasterRole(to); err != nil {
					t.Fatal(err)
				}
				r.runPackages(t)
				if p := r.lab.Health(); len(p) > 0 {
					t.Errorf("after failing over to %s the estate is unhealthy: %v", to, p)
				}
			}
			if code, out := r.cmd("verify", "--failover"); code != 0 {
				t.Errorf("verify --failover exited %d:\n%s", code, out)
			}
			out := r.must("rollback", "--yes")
			for _, d := range estateDiff("", before, r.estateJSON()) {
				t.Errorf("rollback left a difference: %s", d)
			}
			if t.Failed() {
				t.Logf("rollback output:\n%s", out)
			}
		})
	}
}

// expectSettingsUnder checks that ssisha facts finds every node's settings file under
// the shared-features folder dir.
func (r *labRun) expectSettingsUnder(t *testing.T, dir string) {
	t.Helper()
	var nodes []steps.NodeFacts
	if err := json.Unmarshal([]byte(r.must("facts", "--output", "json")), &nodes); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		head, _ := n.Facts["settingsFile"].(map[string]any)
		if path, _ := head["path"].(string); head["found"] != true || !strings.HasPrefix(path, dir) {
			t.Errorf("facts on %s: settings file %v (%v), want one found under %s", n.Host, head, n.NotRead, dir)
		}
	}
}

// lastLines is the end of a long output, where a run's failure is told.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// runPackages is what the estate goes through between failovers: the Agent's jobs run
// (the failover monitor job reacts to a role change once), a package starts on a Scale
// Out worker through the catalog where it is read-write, and the jobs run again, as
// every two minutes they do, while it runs.
func (r *labRun) runPackages(t *testing.T) {
	t.Helper()
	r.lab.Estate(func(e *estate.Estate) {
		e.RunAgentJobs(time.Now(), true)
		if _, err := e.StartExecution(); err != nil {
			t.Errorf("starting a package on the primary: %v", err)
		}
		e.RunAgentJobs(time.Now(), true)
	})
}
