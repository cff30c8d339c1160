package steps

import (
	"context"
	"strings"
	"testing"
)

func TestCheckField(t *testing.T) {
	l := newWinLab(t)
	l.estate.DNS["takenname"] = "10.0.0.88"
	tests := []struct {
		field, value string
		ok, warning  bool
		message      string
	}{
		{"cluster.name", "SSISCL", true, false, "is free"},
		{"cluster.name", "takenname", false, false, "already in DNS"},
		{"masterService.dnsName", "ssismaster.contoso.com", true, false, "is free"},
		{"availabilityGroup.listener.dnsName", "node1", false, false, "already in DNS"},
		{"masterService.staticAddress", "10.0.0.60/24", true, false, "unused"},
		{"cluster.staticAddress", "10.0.0.12/24", false, false, "answers on the network"},
		{"masterService.account", `CONTOSO\svc_ssismaster`, true, false, "exists and is enabled"},
		{"workers[0].account", `CONTOSO\nobody`, false, false, "does not exist"},
		{"workers.account", `CONTOSO\nobody`, false, false, `CONTOSO\nobody does not exist in the domain`},
		{"masters[1].host", "node2.contoso.comx", false, false, "node2.contoso.comx does not resolve from node1.contoso.com"},
		{"masterService.account", `NT Service\SSISScaleOutMaster150`, false, false, "virtual account"},
		{"masters[1].host", "node2.contoso.com", true, false, "answers WinRM"},
		{"masters[0].host", "node1.contoso.com", true, false, "answers WinRM"},
		{"workers[0].host", "ghost.contoso.com", false, false, "does not resolve"},
		{"masterService.certificate.thumbprint", "AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12", false, false, "no certificate"},
		{"domain", "CONTOSO", true, false, "no network check"},
		{"cluster.witness", `\\fs01.contoso.com\witness\SSISCL`, true, false, "answers SMB"},
		{"cluster.witness", `\\fs01\witness`, true, false, "answers SMB"},
		{"cluster.witness", `\\ghost.contoso.com\witness`, false, false, "does not resolve"},
		{"cluster.witness", `\\takenname\witness`, false, false, "does not answer SMB"},
		{"cluster.witness", `C:\witness`, false, false, "not a UNC path"},
	}
	for _, tc := range tests {
		ok, warn, msg := CheckField(context.Background(), l.env, tc.field, tc.value)
		if ok != tc.ok || warn != tc.warning || !strings.Contains(msg, tc.message) {
			t.Errorf("CheckField(%s, %s) = %v %v %q, want %v %v %q", tc.field, tc.value, ok, warn, msg, tc.ok, tc.warning, tc.message)
		}
	}
}

func TestCheckFieldKnowsWhatIsOurs(t *testing.T) {
	l := winPrepared(t)
	s := NewClusterRoleStep()
	l.applyTargets(t, s, l.targets(s))
	for field, value := range map[string]string{
		"cluster.name":                         "SSISCL",
		"cluster.staticAddress":                "10.0.0.40/24",
		"masterService.dnsName":                "ssismaster",
		"masterService.staticAddress":          "10.0.0.60/24",
		"masterService.certificate.thumbprint": l.node("node1.contoso.com").SSLBindings["0.0.0.0:8391"],
	} {
		if ok, warn, msg := CheckField(context.Background(), l.env, field, value); !ok || warn {
			t.Errorf("CheckField(%s, %s) = %v %v %q, want ok", field, value, ok, warn, msg)
		}
	}
	if ok, _, msg := CheckField(context.Background(), l.env, "availabilityGroup.listener.dnsName", "ssismaster"); ok {
		t.Errorf("the listener may not take the master's name: %q", msg)
	}
}

func TestWindowsPreflight(t *testing.T) {
	l := newWinLab(t)
	l.node("node2.contoso.com").PendingReboot = true
	got := map[string]CheckStatus{}
	for _, pc := range windowsPreflightChecks() {
		for _, tg := range l.targets(preflightScopeStep{pc.Scope}) {
			c := pc.Run(context.Background(), l.env, tg)
			winNoSecret(t, "preflight", c.Detail+c.Fix)
			got[pc.Name+"@"+tg.Host] = c.Status
		}
	}
	want := map[string]CheckStatus{
		"Joined to the domain@node1.contoso.com":                 CheckSuccess,
		"No restart pending@node1.contoso.com":                   CheckSuccess,
		"No restart pending@node2.contoso.com":                   CheckFailed,
		"Setup media on a local disk@node2.contoso.com":          CheckSuccess,
		"Clock in step with this machine@node1.contoso.com":      CheckSuccess,
		"Service accounts in Active Directory@node1.contoso.com": CheckSuccess,
		"Network names free@node1.contoso.com":                   CheckSuccess,
		"Static addresses unused@node1.contoso.com":              CheckSuccess,
		"Witness server answers@node1.contoso.com":               CheckSuccess,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %s, want %s", k, got[k], v)
		}
	}
}

// preflightScopeStep lets the fixture list the targets of a preflight scope.
type preflightScopeStep struct{ scope Scope }

func (p preflightScopeStep) ID() int       { return 0 }
func (p preflightScopeStep) Title() string { return "" }
func (p preflightScopeStep) Scope() Scope  { return p.scope }
func (p preflightScopeStep) Detect(context.Context, *Env, Target) (Detection, error) {
	return Detection{}, nil
}
func (p preflightScopeStep) Actions() []ActionType                                 { return nil }
func (p preflightScopeStep) Verify(context.Context, *Env, Target) ([]Check, error) { return nil, nil }

// A message names the addresses a DBA can use; the loopback ones (every name of the
// lab) are left out, and the parentheses with them.
func TestAddressesShownLeaveOutLoopback(t *testing.T) {
	for _, tc := range []struct {
		addrs []string
		want  string
	}{
		{[]string{"10.0.0.11"}, " (10.0.0.11)"},
		{[]string{"127.0.0.2", "10.0.0.11"}, " (10.0.0.11)"},
		{[]string{"127.0.0.2"}, ""},
		{[]string{"::1"}, ""},
		{nil, ""},
	} {
		if got := addressesShown(" (", tc.addrs, ")"); got != tc.want {
			t.Errorf("addressesShown(%v) = %q, want %q", tc.addrs, got, tc.want)
		}
	}
}

// A name that must be new is refused with an example of a new name of its kind,
// never the cluster's.
func TestCheckFieldNameExamples(t *testing.T) {
	l := newWinLab(t)
	_, _, msg := CheckField(context.Background(), l.env, "masterService.dnsName", "ssismaster-primary.contoso.com")
	if !strings.Contains(msg, "ssismaster.contoso.com") || strings.Contains(msg, "SSISCL") {
		t.Errorf("the master DNS name's problem: %q", msg)
	}
}
