package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab"
)

func TestLabFaultFlagIsParsedAndRefusedWithTheReason(t *testing.T) {
	f := labFlags{masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls",
		faults: []string{"node-down:host=node2", "slow-op:op=master.install,duration=5m"}}
	if err := f.check(); err != nil {
		t.Fatalf("check: %v", err)
	}
	opts := f.options()
	if len(opts.Faults) != 2 || opts.Faults[0] != (lab.Fault{Kind: lab.NodeDown, Host: "node2"}) || opts.Faults[1].Duration != 5*time.Minute {
		t.Errorf("options().Faults = %+v", opts.Faults)
	}
	f.faults = []string{"node-down"}
	err := f.check()
	if code := exitCode(err); code != ExitInvalid || !strings.Contains(err.Error(), "needs a host") {
		t.Errorf("--fault node-down: exit %d, %v; want %d saying the host is missing", code, err, ExitInvalid)
	}
}

// labFaultApp runs `ssisha lab fault` in process and returns its exit code and output.
func labFaultApp(args ...string) (int, string) {
	var out syncBuffer
	a := newApp(BuildInfo{Version: "test"}, strings.NewReader(""), &out, &out, func(string) string { return "" })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := a.run(ctx, append([]string{"lab", "fault"}, args...))
	return code, out.String()
}

func TestLabFaultChangesTheFaultsOfAServingLab(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if code, out := labFaultApp("--dir", dir); code != ExitInvalid || !strings.Contains(out, "no lab is serving") {
		t.Errorf("lab fault without a lab: exit %d:\n%s", code, out)
	}
	f := labFlags{dir: dir, masters: 2, workers: 2, sqlVersion: 2019, encrypt: "tls", faults: []string{"latency:duration=1ms"}}
	if err := f.check(); err != nil {
		t.Fatal(err)
	}
	l, err := lab.Start(f.options())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var served syncBuffer
	a := newApp(BuildInfo{Version: "test"}, strings.NewReader(""), &served, &served, func(string) string { return "" })
	a.serveFaultControl(ctx, l, dir)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := lab.ReadFaultState(dir); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the serving lab never wrote its fault state")
		}
		time.Sleep(10 * time.Millisecond)
	}

	if code, out := labFaultApp("--dir", dir); code != 0 || !strings.Contains(out, "latency:duration=1ms") {
		t.Errorf("lab fault (list): exit %d:\n%s", code, out)
	}
	if code, out := labFaultApp("--dir", dir, "--add", "node-down:host=node2"); code != 0 || !strings.Contains(out, "node-down:host=node2") {
		t.Errorf("lab fault --add: exit %d:\n%s", code, out)
	}
	if got := l.Faults(); len(got) != 2 || got[1] != (lab.Fault{Kind: lab.NodeDown, Host: "node2"}) {
		t.Errorf("after --add the lab has %+v, want the latency and node2 down", got)
	}
	if code, out := labFaultApp("--dir", dir, "auth-failure:host=node1"); code != 0 {
		t.Errorf("lab fault SPEC: exit %d:\n%s", code, out)
	}
	if got := l.Faults(); len(got) != 1 || got[0].Kind != lab.AuthFailure {
		t.Errorf("naming a fault replaces those in force; the lab has %+v", got)
	}
	if code, out := labFaultApp("--dir", dir, "meteor"); code != ExitInvalid || !strings.Contains(out, "not one the lab knows") {
		t.Errorf("lab fault meteor: exit %d:\n%s", code, out)
	}
	if code, out := labFaultApp("--dir", dir, "--clear"); code != 0 || !strings.Contains(out, "no faults in force") || len(l.Faults()) != 0 {
		t.Errorf("lab fault --clear: exit %d, faults %+v:\n%s", code, l.Faults(), out)
	}
	if !strings.Contains(served.String(), "lab: faults cleared") {
		t.Errorf("the serving lab did not say the faults were cleared:\n%s", served.String())
	}
}
