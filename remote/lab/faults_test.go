package lab

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/lab/wsman"
)

func TestFaultsOnTheWire(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		// each request: wire, request phase, host; and the decision wanted
		steps []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}
	}{
		{"node down drops both protocols of that node only", Fault{Kind: NodeDown, Host: "node1"}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireWinRM, true, fxNode1, wireDecision{Drop: true}},
			{wireTDS, false, fxNode1, wireDecision{Drop: true}},
			{wireWinRM, true, fxNode2, wireDecision{}},
		}},
		{"unreachable after two requests", Fault{Kind: Unreachable, Host: fxNode2, After: 2}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireWinRM, true, fxNode2, wireDecision{}},
			{wireTDS, true, fxNode2, wireDecision{}},
			{wireWinRM, true, fxNode2, wireDecision{Drop: true}},
			{wireWinRM, true, fxNode2, wireDecision{Drop: true}},
		}},
		{"latency everywhere", Fault{Kind: Latency, Duration: 5 * time.Millisecond}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireWinRM, true, fxNode1, wireDecision{Delay: 5 * time.Millisecond}},
			{wireTDS, false, fxWorker1, wireDecision{Delay: 5 * time.Millisecond}},
		}},
		{"WinRM internal error on a host", Fault{Kind: WinRMFault, Host: fxNode1}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireWinRM, true, fxNode1, wireDecision{Internal: true}},
			{wireTDS, true, fxNode1, wireDecision{}},
		}},
		{"auth failure", Fault{Kind: AuthFailure, Host: fxNode1}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireWinRM, true, fxNode1, wireDecision{Deny: true}},
			{wireTDS, false, fxNode1, wireDecision{Deny: true}},
		}},
		{"SQL reset once, on the second request", Fault{Kind: SQLReset, Host: fxNode1, After: 1}, []struct {
			wire    string
			request bool
			host    string
			want    wireDecision
		}{
			{wireTDS, false, fxNode1, wireDecision{}},
			{wireTDS, true, fxNode1, wireDecision{}},
			{wireWinRM, true, fxNode1, wireDecision{}},
			{wireTDS, true, fxNode1, wireDecision{Drop: true}},
			{wireTDS, true, fxNode1, wireDecision{}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLab(t, nil, Options{})
			if err := l.SetFault(tt.fault); err != nil {
				t.Fatal(err)
			}
			struck := 0
			for i, s := range tt.steps {
				got := l.faults.onRequest(s.host, s.wire, s.request)
				if got != s.want {
					t.Errorf("request %d to %s over %s: %+v, want %+v", i, s.host, s.wire, got, s.want)
				}
				if got != (wireDecision{}) {
					struck++
				}
			}
			if n := l.Stats().Faults[tt.fault.Kind]; n != struck {
				t.Errorf("fault counted %d times, struck %d", n, struck)
			}
			l.ClearFaults()
			for _, s := range tt.steps {
				if got := l.faults.onRequest(s.host, s.wire, s.request); got != (wireDecision{}) {
					t.Errorf("after ClearFaults: %+v", got)
				}
			}
		})
	}
}

func TestAuthFailureRefusesPasswords(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	winrm, sql := l.winrmPassword(fxNode1), l.sqlPassword(fxNode1, false)
	if _, ok := winrm(`CONTOSO\dba`); !ok {
		t.Fatal("admin refused before the fault")
	}
	if _, ok := winrm(`CONTOSO\svc_ssisworker`); ok {
		t.Error("a non-admin account may use WinRM")
	}
	if pw, ok := sql(estate.LoggingLogin, false); !ok || pw != fxLogPassword {
		t.Fatal("SQL login refused before the fault")
	}
	if err := l.SetFault(Fault{Kind: AuthFailure, Host: "NODE1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := winrm(`CONTOSO\dba`); ok {
		t.Error("WinRM accepted the admin under AuthFailure")
	}
	if _, ok := sql(`CONTOSO\dba`, true); ok {
		t.Error("TDS accepted the admin under AuthFailure")
	}
	if _, ok := l.sqlPassword(fxNode2, false)(estate.LoggingLogin, false); !ok {
		t.Error("AuthFailure on node1 affected node2")
	}
}

func TestWinRMFaultForOneOperation(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	if err := l.SetFault(Fault{Kind: WinRMFault, Op: "test.mutate"}); err != nil {
		t.Fatal(err)
	}
	if o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S0", psScript("test.echo", nil), ""); o.Exit != 0 {
		t.Fatalf("another op failed: %s", o.ErrorMsg)
	}
	done := make(chan psOutcome, 1)
	go func() {
		done <- l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", psScript("test.mutate", nil), "")
	}()
	// The fault is delivered on the shell's next Receive, as the protocol hook asks.
	awaitShellFault(t, l, "S1")
	o := <-done
	if o.Exit != 1 || !strings.Contains(o.ErrorMsg, "test.mutate") {
		t.Errorf("command outcome %+v", o)
	}
	l.Estate(func(e *estate.Estate) {
		if e.Seq >= 1000 {
			t.Error("the faulted operation ran")
		}
	})
	if f := l.winrmFault(fxNode1)(wsmanInfo("S1")); f != nil {
		t.Errorf("fault delivered twice: %+v", f)
	}
}

func TestSlowOpAndFailoversBeforeAnOperation(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	for _, f := range []Fault{
		{Kind: SlowOp, Op: "test.echo", Duration: time.Millisecond},
		{Kind: AGFailoverAt, Host: "node2", Op: "test.echo"},
		{Kind: MasterFailoverAt, Host: "node2", Op: "test.echo"},
	} {
		if err := l.SetFault(f); err != nil {
			t.Fatal(err)
		}
	}
	if o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", psScript("test.echo", nil), ""); o.Exit != 0 {
		t.Fatal(o.ErrorMsg)
	}
	l.Estate(func(e *estate.Estate) {
		if e.AG.Primary != fxNode2 {
			t.Errorf("AG primary %s", e.AG.Primary)
		}
		if g := e.MasterRole(); g.Owner != fxNode2 || g.State != "Online" {
			t.Errorf("master role %+v", g)
		}
	})
	s := l.Stats()
	if s.Nodes[fxNode1].Busy != time.Millisecond {
		t.Errorf("slow op busy %v", s.Nodes[fxNode1].Busy)
	}
	for _, k := range []FaultKind{SlowOp, AGFailoverAt, MasterFailoverAt} {
		if s.Faults[k] != 1 {
			t.Errorf("%s counted %d", k, s.Faults[k])
		}
	}
	// The failovers are one-shot; the slow op stays.
	if got := l.Faults(); len(got) != 1 || got[0].Kind != SlowOp {
		t.Errorf("faults in force %+v", got)
	}
}

func TestFaultValidation(t *testing.T) {
	bad := []Fault{
		{Kind: NodeDown},
		{Kind: Latency},
		{Kind: WinRMFault},
		{Kind: SlowOp, Op: "x"},
		{Kind: AGFailoverAt, Op: "x"},
		{Kind: "meteor", Host: "node1"},
		{Kind: Unreachable, Host: "node1", After: -1},
	}
	for _, f := range bad {
		if err := f.Validate(); err == nil {
			t.Errorf("%+v accepted", f)
		}
	}
	for _, k := range faultKinds {
		got, err := parseFaultKind(strings.ToUpper(string(k)))
		if err != nil || got != k {
			t.Errorf("parseFaultKind(%s) = %v, %v", k, got, err)
		}
	}
}

func wsmanInfo(shellID string) wsman.RequestInfo {
	return wsman.RequestInfo{Action: "Receive", User: `CONTOSO\dba`, ShellID: shellID}
}

// awaitShellFault polls the protocol hook, as the shell's Receives would, until the
// operation's WinRM fault is delivered on shell. A Signal on the shell between them
// (the client releases earlier commands in the background) never takes it.
func awaitShellFault(t *testing.T, l *Lab, shell string) {
	t.Helper()
	fault := l.winrmFault(fxNode1)
	for range 1000 {
		signal := wsmanInfo(shell)
		signal.Action = "Signal"
		if f := fault(signal); f != nil {
			t.Fatalf("a Signal took the operation's fault: %+v", f)
		}
		if f := fault(wsmanInfo(shell)); f != nil && f.Status == 500 && f.Subcode == "w:InternalError" {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("no InternalError delivered on the shell")
}
