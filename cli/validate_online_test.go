package cli

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
)

func TestValidateOnlineChecksWhatSsishaConnectsTo(t *testing.T) {
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
