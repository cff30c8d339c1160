package lab

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestParseFaultReadsWhatStringWrites(t *testing.T) {
	faults := []Fault{
		{Kind: NodeDown, Host: "node2"},
		{Kind: Unreachable, Host: "node1.contoso.com", After: 3},
		{Kind: Latency, Duration: 40 * time.Millisecond},
		{Kind: Latency, Host: "node1", Duration: 2 * time.Second},
		{Kind: WinRMFault, Op: "master.install"},
		{Kind: AuthFailure, Host: "node1"},
		{Kind: SQLReset, Host: "node1", After: 2},
		{Kind: SlowOp, Op: "ssisdb.catalog.create", Duration: 20 * time.Minute},
		{Kind: AGFailoverAt, Host: "node2", Op: "ssisdb.catalog.create"},
		{Kind: MasterFailoverAt, Host: "node2", Op: "master.settings.set"},
	}
	seen := map[FaultKind]bool{}
	for _, f := range faults {
		seen[f.Kind] = true
		got, err := ParseFault(f.String())
		if err != nil {
			t.Errorf("ParseFault(%q): %v", f.String(), err)
			continue
		}
		if got != f {
			t.Errorf("ParseFault(%q) = %+v, want %+v", f.String(), got, f)
		}
	}
	for _, k := range faultKinds {
		if !seen[k] {
			t.Errorf("no case for the fault kind %s", k)
		}
	}
	// Spaces and case as a person types them.
	if got, err := ParseFault(" Node-Down : host = node2 "); err != nil || got != (Fault{Kind: NodeDown, Host: "node2"}) {
		t.Errorf("ParseFault with spaces and capitals = %+v, %v", got, err)
	}
}

func TestParseFaultRefusesWithTheReason(t *testing.T) {
	tests := []struct{ spec, want string }{
		{"", "not one the lab knows"},
		{"meteor:host=node1", "not one the lab knows"},
		{"node-down", "needs a host"},
		{"slow-op:op=master.install", "needs an operation and a duration"},
		{"latency:duration=soon", "not a duration"},
		{"unreachable:host=node1,after=two", "not a whole number"},
		{"unreachable:host=node1,after=-1", "cannot be negative"},
		{"node-down:host", "not key=value"},
		{"node-down:host=node1,colour=red", "unknown setting"},
		{"ag-failover-at:host=node2", "needs a host to fail over to and an operation"},
	}
	for _, tc := range tests {
		_, err := ParseFault(tc.spec)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseFault(%q) = %v, want an error saying %q", tc.spec, err, tc.want)
		}
	}
}

func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"node-down:host=node2", "latency:duration=40ms", "slow-op:op=x,duration=1s", "unreachable:host=a,after=3", ":,=", "sql-reset:host=a,after=9999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFault(spec)
		if err != nil {
			return
		}
		if err := got.Validate(); err != nil {
			t.Fatalf("ParseFault(%q) accepted a fault that does not validate: %v", spec, err)
		}
		again, err := ParseFault(got.String())
		if err != nil || again != got {
			t.Fatalf("ParseFault(String()) of %+v = %+v, %v", got, again, err)
		}
	})
}

func TestStartInjectsTheFaultsItIsGiven(t *testing.T) {
	want := []Fault{{Kind: NodeDown, Host: fxNode2}, {Kind: Latency, Duration: time.Millisecond}}
	l := newTestLab(t, nil, Options{Faults: want})
	got := l.Faults()
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Faults() = %+v, want %+v", got, want)
	}
	if _, err := Start(Options{Faults: []Fault{{Kind: NodeDown}}}); err == nil || !strings.Contains(err.Error(), "needs a host") {
		t.Errorf("Start with a fault without its host = %v, want it refused", err)
	}
}

func TestFaultControlChangesTheFaultsOfARunningLab(t *testing.T) {
	dir := t.TempDir()
	l := newTestLab(t, nil, Options{Dir: dir, Faults: []Fault{{Kind: AuthFailure, Host: fxNode1}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	reports := make(chan FaultState, 4)
	go func() {
		served <- l.ServeFaultControl(ctx, dir, 5*time.Millisecond, func(st FaultState) { reports <- st })
	}()
	wait, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()

	// The state file exists once the control serves; until then there is no lab.
	var st FaultState
	var err error
	for st, err = ReadFaultState(dir); err != nil; st, err = ReadFaultState(dir) {
		if wait.Err() != nil {
			t.Fatalf("the fault state file never appeared: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(st.Faults) != 1 || st.Faults[0] != "auth-failure:host="+fxNode1 {
		t.Errorf("faults in force at start = %q", st.Faults)
	}

	st, err = RequestFaults(wait, dir, []Fault{{Kind: SlowOp, Op: "master.install", Duration: time.Minute}})
	if err != nil {
		t.Fatalf("RequestFaults: %v", err)
	}
	if got := l.Faults(); len(got) != 1 || got[0].Kind != SlowOp || len(st.Faults) != 1 {
		t.Errorf("after the request the lab has %+v (state file %q), want the slow operation only", got, st.Faults)
	}
	if r := <-reports; r.Error != "" || r.Generation != st.Generation {
		t.Errorf("the report of the change = %+v", r)
	}

	// A request the lab refuses leaves the faults as they were and says why.
	refused := st.Generation + 1
	if err := writeJSONFile(dir+"/"+FaultRequestFile, faultRequest{Generation: refused, Faults: []string{"node-down"}}); err != nil {
		t.Fatal(err)
	}
	for st, _ = ReadFaultState(dir); st.Generation < refused; st, _ = ReadFaultState(dir) {
		if wait.Err() != nil {
			t.Fatal("the refused request was never answered")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(st.Error, "needs a host") || len(l.Faults()) != 1 {
		t.Errorf("after a bad request: state %+v, faults %+v; want it refused and the slow operation kept", st, l.Faults())
	}

	if _, err := RequestFaults(wait, dir, nil); err != nil || len(l.Faults()) != 0 {
		t.Errorf("clearing: %v, faults %+v", err, l.Faults())
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("ServeFaultControl: %v", err)
	}
	if _, err := ReadFaultState(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no lab is serving") {
		t.Errorf("ReadFaultState of a folder without a lab = %v", err)
	}
}
