package steps

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// clientDefault is the per-command timeout of the WinRM and TDS clients.
const clientDefault = 2 * time.Minute

// longScripts are the scripts a node may take longer over than the client's default,
// each as its template builds it, with the limit it must declare.
func longScripts() []struct {
	op    string
	limit time.Duration
	got   time.Duration
} {
	pw := script.NewSecret("pw", "x")
	ps := []script.PowerShell{
		psMasterInstall(masterSetup{}), psMasterUninstall("", "", "", 8391),
		psWorkerInstall("", "", pw, "", "", "", "", ""), psWorkerUninstall("", "", "", true),
		psFeatureInstall("x"), psFeatureUninstall("x"),
		psClusterCreate("c", nil, "", "u", pw), psClusterDestroy("c", "u", pw), psClusterQuorumSet("c", "w", "u", pw),
		psRoleCreate("r", "s", "", nil, "u", pw), psRoleRemove("r", true, "", "u", pw), psFailoverRoleMove("r", "s", "n", 60),
		psAlwaysOn(true, "n"), psAlwaysOn(false, "n"), psCatalogCreate(pw, "160", "."),
		psMasterRestart("s"), psWorkerRestart("s"),
	}
	sql := []script.TSQL{
		tsqlAGCreate("ag", "[]"), tsqlAGJoin("ag"), tsqlAGDrop("ag"), tsqlListenerAdd("ag", "l", "10.0.0.1", "255.255.255.0", 1433),
		tsqlListenerRemove("ag", "l"), tsqlFailoverAGMove("SSISDB"),
	}
	want := map[string]time.Duration{
		"master.install": limitSetup, "master.uninstall": limitSetup, "worker.install": limitSetup, "worker.uninstall": limitSetup,
		"win.feature.install": 30 * time.Minute, "win.feature.uninstall": 30 * time.Minute,
		"cluster.create": 32 * time.Minute, "cluster.destroy": 15 * time.Minute, "cluster.quorum.set": 15 * time.Minute,
		"cluster.role.create": 15 * time.Minute, "cluster.role.remove": 15 * time.Minute, "failover.role.move": 15 * time.Minute,
		"master.alwayson.enable": 15 * time.Minute, "master.alwayson.disable": 15 * time.Minute, "ssisdb.catalog.create": 15 * time.Minute,
		"settings.master.restart": 10 * time.Minute, "worker.service.restart": 10 * time.Minute,
		"ag.create": 10 * time.Minute, "ag.join": 10 * time.Minute, "ag.drop": 10 * time.Minute,
		"ag.listener.add": 10 * time.Minute, "ag.listener.remove": 10 * time.Minute, "failover.ag.move": 10 * time.Minute,
	}
	var out []struct {
		op    string
		limit time.Duration
		got   time.Duration
	}
	add := func(op string, got time.Duration) {
		out = append(out, struct {
			op    string
			limit time.Duration
			got   time.Duration
		}{op, want[op], got})
	}
	for _, s := range ps {
		add(s.Op, s.Timeout)
	}
	for _, b := range sql {
		add(b.Op, b.Timeout)
	}
	return out
}

// The long operations' templates declare their time, longer than the client's
// default, under an operation the lab knows (so a renamed script keeps its time).
func TestLongOperationsDeclareTheirTime(t *testing.T) {
	knownPS, knownSQL := estate.NewOperations().Names()
	for _, s := range longScripts() {
		if !slices.Contains(knownPS, s.op) && !slices.Contains(knownSQL, s.op) {
			t.Errorf("%s is an operation no step sends", s.op)
		}
		if s.limit == 0 {
			t.Errorf("%s declares %v but is not listed as long", s.op, s.got)
			continue
		}
		if s.got != s.limit || s.got <= clientDefault {
			t.Errorf("%s declares %v, want %v (longer than the client's %v)", s.op, s.got, s.limit, clientDefault)
		}
	}
}

// timeoutRemote records the timeout each script arrived with.
type timeoutRemote struct {
	countRemote
	got map[string]time.Duration
}

func (r *timeoutRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	r.got[s.Op] = s.Timeout
	return r.countRemote.PowerShell(ctx, host, s)
}

func (r *timeoutRemote) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	r.got[b.Op] = b.Timeout
	return r.countRemote.SQL(ctx, host, b)
}

func TestLongOperationsTravelWithTheirTime(t *testing.T) {
	r := &timeoutRemote{got: map[string]time.Duration{}}
	env := &Env{Remote: r, Redactor: script.NewRedactor()}
	ctx := context.Background()
	_ = env.PS(ctx, "node1", psMasterInstall(masterSetup{}), nil)
	_ = env.PS(ctx, "node1", psFeatureGet("Failover-Clustering"), nil)
	_, _ = env.SQL(ctx, "node1", tsqlAGJoin("ag"))
	want := map[string]time.Duration{"master.install": limitSetup, "win.feature.get": 0, "ag.join": limitAG}
	for op, d := range want {
		if r.got[op] != d {
			t.Errorf("%s arrived with timeout %v, want %v", op, r.got[op], d)
		}
	}
}

// A one-shot task must give up, stop and unregister itself (with the password it
// stores) before the client stops waiting for the script that runs it: a script cut
// off by the client never reaches its cleanup.
func TestTaskTimeLimitsFitTheirScripts(t *testing.T) {
	pw := script.NewSecret("pw", "x")
	for _, s := range []script.PowerShell{
		psClusterCreate("c", nil, "", "u", pw), psClusterDestroy("c", "u", pw), psClusterQuorumSet("c", "w", "u", pw),
		psRoleCreate("r", "s", "", nil, "u", pw), psRoleRemove("r", true, "", "u", pw),
	} {
		m := regexp.MustCompile(`-TimeoutSec (\d+)`).FindStringSubmatch(s.Body)
		if m == nil {
			t.Errorf("%s: no task time limit", s.Op)
			continue
		}
		task, _ := strconv.Atoi(m[1])
		if time.Duration(task)*time.Second+taskCleanupMargin > s.Timeout {
			t.Errorf("%s: the task may run %ds, the script only %s: nothing is left for the cleanup", s.Op, task, s.Timeout)
		}
	}
	if !strings.Contains(psRunAsTask, "Stop-ScheduledTask") {
		t.Error("a task that ran out of time is unregistered while it still runs")
	}
}
