package cli

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// putMarker leaves a lock marker on the lab's primary node, as another ssisha would.
func (r *labRun) putMarker(h steps.LockHolder) {
	data, err := json.Marshal(h)
	if err != nil {
		r.t.Fatal(err)
	}
	r.lab.Estate(func(e *estate.Estate) { e.Nodes["node1.contoso.com"].SetFile(steps.EstateLockFile, string(data)) })
}

func (r *labRun) marker() (string, bool) {
	var content string
	var ok bool
	r.lab.Estate(func(e *estate.Estate) { content, ok = e.Nodes["node1.contoso.com"].File(steps.EstateLockFile) })
	return content, ok
}

// A marker on the primary node from a run on another jump box stops apply and
// rollback at once, naming its holder; status shows it; --break-lock removes it, and
// a finished run leaves no marker behind.
func TestEstateLockFromAnotherMachine(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	r.putMarker(steps.LockHolder{Host: "jump02", User: `CONTOSO\otherdba`, PID: 777, Since: time.Now().Add(-time.Minute), Cluster: "SSISCL", Command: "apply", Token: "t-other"})
	before := r.estateJSON()
	for _, cmd := range []string{"apply", "rollback"} {
		code, out := r.cmd(cmd, "--yes")
		if code != ExitAborted || !strings.Contains(out, "jump02") || !strings.Contains(out, `CONTOSO\otherdba`) || !strings.Contains(out, "--break-lock") {
			t.Errorf("%s on a locked estate exited %d, want 3 naming the holder:\n%s", cmd, code, out)
		}
	}
	if d := estateDiff("", before, r.estateJSON()); len(d) > 0 {
		t.Errorf("a refused run changed the estate: %v", d)
	}
	if _, out := r.cmd("status"); !strings.Contains(out, "being changed by ssisha apply by CONTOSO\\otherdba (process 777) on jump02") {
		t.Errorf("status does not show who holds the lock:\n%s", out)
	}
	r.must("apply", "--yes", "--steps", "1", "--break-lock")
	if m, ok := r.marker(); ok {
		t.Errorf("the run left its lock marker behind: %s", m)
	}
}

// A marker left by a process of this machine that has ended (killed) is taken over
// without --break-lock: this run holds the machine's lock for the cluster.
func TestEstateLockLeftByADeadProcessHereIsTakenOver(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	host, _ := os.Hostname()
	r.putMarker(steps.LockHolder{Host: host, User: "dba", PID: 1 << 30, Since: time.Now(), Cluster: "SSISCL", Command: "apply", Token: "t-dead"})
	r.must("apply", "--yes", "--steps", "1")
}

// While one run holds the cluster's lock on this machine, a second exits at once
// naming it, before it changes or asks anything.
func TestSecondRunOnThisMachineExitsAtOnce(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 0)
	ans, err := answers.Load(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := answers.LoadSecrets(nil, r.secrets)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := ssisha.Open(ctx, ans, sec, ssisha.Options{JournalPath: r.journalPath()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release, err := s.Lock(ctx, ans, sec, "apply")
	if err != nil {
		t.Fatal(err)
	}
	code, out := r.cmd("apply", "--yes", "--break-lock")
	if code != ExitAborted || !strings.Contains(out, "lock file") || !strings.Contains(out, "ssisha apply by") {
		t.Errorf("a second apply exited %d, want 3 naming the lock file and the holder:\n%s", code, out)
	}
	release()
	if _, ok := r.marker(); ok {
		t.Error("releasing the lock left the marker on the primary node")
	}
	r.must("apply", "--yes", "--steps", "1")
}
