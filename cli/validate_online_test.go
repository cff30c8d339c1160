package cli

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
)

func TestValidateOnlineChecksWhatSsishaConnectsTo(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	out := r.must("validate")
	for _, want := range []string{"From this machine:", "node1.contoso.com WinRM", "certificate for node1.contoso.com", "node2.contoso.com SQL Server", "From the primary node:", "Preflight"} {
		if !strings.Contains(out, want) {
			t.Errorf("validate does not say %q:\n%s", want, out)
		}
	}

	// A WinRM port where nothing listens: named, with the node, and exit 2.
	ans, err := answers.Load(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ans.Masters[1].WinRM.Port = l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	bad := filepath.Join(r.dir, "bad-port.yaml")
	if err := answers.Save(bad, ans); err != nil {
		t.Fatal(err)
	}
	r.answers = bad
	code, out := r.cmd("validate")
	if code != ExitInvalid {
		t.Errorf("validate with a dead WinRM port exited %d, want 2:\n%s", code, out)
	}
	if !strings.Contains(out, "FAIL node2.contoso.com WinRM") {
		t.Errorf("the dead port is not reported against node2:\n%s", out)
	}
}

func TestWizardHostCheckProbesFromThisMachine(t *testing.T) {
	t.Parallel()
	r := startLab(t, 2, 1)
	ans, err := answers.Load(r.answers)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := answers.LoadSecrets(func(string) string { return "" }, r.secrets)
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(BuildInfo{}, strings.NewReader(""), io.Discard, io.Discard, func(k string) string { return r.env[k] })
	b := a.wizardSession()
	defer b.Close()
	hosts := strings.Join(ans.MasterHosts(), ", ")
	if fc := b.CheckField(context.Background(), ans, sec, "masters", hosts); !fc.OK {
		t.Fatalf("the lab's masters do not check out: %+v", fc)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ans.Masters[1].WinRM.Port = l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	fc := b.CheckField(context.Background(), ans, sec, "masters", hosts)
	if fc.OK || !strings.Contains(fc.Message, "node2.contoso.com") {
		t.Errorf("a dead WinRM port on node2: %+v; want a failure naming node2", fc)
	}
}
