package steps

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

func TestLoggingStepLifecycle(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewLoggingStep()
	before := l.snapshot(t)
	det := l.detectAll(t, s)
	want := map[string]string{"node1.contoso.com": "set-password,update-logdb", "node2.contoso.com": "create-login"}
	for h, ids := range want {
		if det[h].State != StatePending || actionIDs(det[h].Actions) != ids {
			t.Fatalf("%s: %s %s, want pending %s", h, det[h].State, actionIDs(det[h].Actions), ids)
		}
		checkGolden(t, "step6-"+strings.Split(h, ".")[0]+".txt", haDisplay(det[h].Actions))
		haAssertNoSecret(t, "display", haDisplay(det[h].Actions))
		b, _ := json.Marshal(det[h])
		haAssertNoSecret(t, "detection", string(b))
	}
	if det["node1.contoso.com"].Actions[0].Irreversible == "" {
		t.Errorf("the password change does not say it is irreversible")
	}
	applied := l.apply(t, s, nil)
	for _, ap := range applied {
		b, _ := json.Marshal(ap.undo)
		haAssertNoSecret(t, "undo data", string(b))
	}
	l.expectDone(t, s)
	if again := l.apply(t, s, nil); len(again) != 0 {
		t.Errorf("second apply ran %d actions", len(again))
	}
	l.expectVerified(t, s)
	n1, n2 := l.e.Nodes["node1.contoso.com"].SQL, l.e.Nodes["node2.contoso.com"].SQL
	if n1.Logins["##ms_ssislogdbworkeragentlogin##"].SID != n2.Logins["##ms_ssislogdbworkeragentlogin##"].SID {
		t.Errorf("the secondary's logging login has another SID")
	}
	if cs := n1.Databases["ssisdb"].Catalog.LogDBConnectionString; !strings.Contains(cs, "Data Source=ssislsn,1433;") || !strings.Contains(cs, "Password='"+haCanaryLogging+"';") {
		t.Errorf("logging connection string %q does not name the listener with the quoted password", strings.ReplaceAll(cs, haCanaryLogging, "<pw>"))
	}
	skipped := l.undo(t, s, applied)
	if len(skipped) != 1 || skipped[0] != "node1.contoso.com set-password" {
		t.Errorf("irreversible undo: %v, want only the primary's password", skipped)
	}
	// The original random password and the connection string that held it are gone
	// for good; everything else returns.
	mask := regexp.MustCompile(`"(password|logdbConnectionString)": "[^"]*"`)
	b, a := mask.ReplaceAllString(before, ""), mask.ReplaceAllString(l.snapshot(t), "")
	if a != b {
		t.Errorf("undo did not restore the estate: %s", diffLines(b, a))
	}
}

func TestLoggingStepPitfalls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(l *haLab)
		host   string
		state  State
		reason string
	}{
		{"mixed mode off", func(l *haLab) { l.e.Nodes["node2.contoso.com"].SQL.MixedMode = false }, "node2.contoso.com", StateBlocked, "Windows authentication"},
		{"SID mismatch", func(l *haLab) {
			l.e.Nodes["node2.contoso.com"].SQL.Logins["##ms_ssislogdbworkeragentlogin##"].SID = "0x0102030405060708090A0B0C0D0E0F10"
		}, "node2.contoso.com", StateDrift, "orphaned"},
		{"password mismatch", func(l *haLab) {
			l.e.Nodes["node2.contoso.com"].SQL.Logins["##ms_ssislogdbworkeragentlogin##"].Password = "Other#Pass-99"
		}, "node2.contoso.com", StateDrift, "another password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newHALab(t, false)
			l.apply(t, NewAvailabilityGroupStep(), nil)
			l.apply(t, NewLoggingStep(), nil)
			tc.break_(l)
			d := l.detectAll(t, NewLoggingStep())[tc.host]
			if d.State != tc.state || !strings.Contains(d.Reason, tc.reason) || d.Fix == "" {
				t.Errorf("got %s %q %q, want %s mentioning %q with a fix", d.State, d.Reason, d.Fix, tc.state, tc.reason)
			}
			haAssertNoSecret(t, "reason", d.Reason+d.Fix)
		})
	}
}

func TestLoggingStepMasterKeyErrorKeepsPasswordSecret(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	// A primary whose service master key does not open SSISDB's master key and that
	// has no credential: update_logdb_info fails with 15581.
	db := l.e.Nodes["node1.contoso.com"].SQL.Databases["ssisdb"]
	db.EncryptedByServer = false
	l.e.Nodes["node1.contoso.com"].SQL.MasterKeyPasswords = map[string]string{}
	s := NewLoggingStep()
	tg := Target{Host: "node1.contoso.com", Role: "primary"}
	d, err := s.Detect(context.Background(), l.env, tg)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for _, a := range d.Actions {
		_, last = applyAction(s, context.Background(), l.env, tg, a)
	}
	var ae *ActionError
	if !errors.As(last, &ae) || !remote.IsSQLError(last, 15581) || !strings.Contains(ae.Fix, "step 4") {
		t.Fatalf("got %v, want an ActionError with SQL error 15581 and a fix naming step 4", last)
	}
	haAssertNoSecret(t, "error", last.Error())
}

func TestLoggingStepBlockedWithoutPassword(t *testing.T) {
	l := newHALab(t, false)
	l.env.Secrets.LoggingPassword = script.NewSecret("logging-password", "")
	d := l.detectAll(t, NewLoggingStep())["node1.contoso.com"]
	if d.State != StateBlocked || !strings.Contains(d.Fix, "SSISHA_LOGGING_PASSWORD") {
		t.Errorf("got %s %q %q", d.State, d.Reason, d.Fix)
	}
}

// countingRemote passes every script on and counts the calls per host and operation.
type countingRemote struct {
	remote.Remote
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingRemote) count(host, op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[host+" "+op]++
}

func (c *countingRemote) PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error) {
	c.count(host, s.Op)
	return c.Remote.PowerShell(ctx, host, s)
}

func (c *countingRemote) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	c.count(host, b.Op)
	return c.Remote.SQL(ctx, host, b)
}

func TestLoggingStepVerifyReadsThePrimaryLoginOnce(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	l.apply(t, NewLoggingStep(), nil)
	r := &countingRemote{Remote: l.env.Remote, calls: map[string]int{}}
	l.env.Remote = r
	checks, err := NewLoggingStep().Verify(context.Background(), l.env, Target{Host: "node1.contoso.com", Role: "primary"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.Status != CheckSuccess {
			t.Errorf("%s: %s (%s)", c.Name, c.Status, c.Detail)
		}
	}
	if n := r.calls["node1.contoso.com sql.login.logging.facts"]; n != 1 {
		t.Errorf("the primary's logging login was read %d times, want once", n)
	}
}
