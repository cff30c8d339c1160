package steps

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
)

func TestShowPlaceholders(t *testing.T) {
	sid := []byte(Placeholder("sid of the logging login"))
	for _, c := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"'<AFTER APPLY: MASTER CERTIFICATE THUMBPRINT>'", "'<after apply: master certificate thumbprint>'"},
		{fmt.Sprintf("SID = 0x%X;", sid), "SID = <after apply: sid of the logging login>;"},
		{"0x3C41", "0x3C41"},
	} {
		if got := ShowPlaceholders(c.in); got != c.want {
			t.Errorf("ShowPlaceholders(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	got := Placeholders("a <after apply: x> b <AFTER APPLY: X> c <after apply: y>")
	if !slices.Equal(got, []string{"<after apply: x>", "<after apply: y>"}) {
		t.Errorf("Placeholders = %q", got)
	}
}

func TestProjectionInstallsTheMaster(t *testing.T) {
	a := &answers.Answers{Masters: []answers.Master{{Host: "node1.contoso.com"}, {Host: "node2.contoso.com"}}}
	a.MasterService.Account = `CONTOSO\svc_ssismaster`
	a.MasterService.DNSName = "ssismaster.contoso.com"
	env := &Env{Answers: a, Version: Version{Major: 15}}
	read := func() (masterNodeState, error) { return masterNodeState{EngineInstalled: true}, nil }

	var none *Projection
	if m, _ := none.masterNode(env, "node1.contoso.com", read); m.installed() {
		t.Fatal("without a projection the estate is read as it is")
	}
	p := NewProjection()
	p.Assume(2, Target{Host: "node1.contoso.com", Role: "primary"}, Detection{State: StatePending,
		Facts: map[string]any{"certificate": "to be generated"}, Actions: []Action{{ID: actInstallMaster.ID}}})
	m, err := p.masterNode(env, "NODE1.contoso.com", read)
	if err != nil {
		t.Fatal(err)
	}
	if !m.installed() || !m.HadrEnabled || m.Settings == nil || !IsPlaceholder(m.Settings.SSLCertThumbprint) {
		t.Errorf("after step 2 the primary's master is %+v, want it installed with a placeholder thumbprint", m)
	}
	if !SameAccount(m.Service.StartName, a.MasterService.Account) || m.Service.State != "Running" {
		t.Errorf("the primary's master service is %+v", *m.Service)
	}
	if m2, _ := p.masterNode(env, "node2.contoso.com", read); m2.installed() {
		t.Error("step 2 installed the master on a secondary too")
	}
	certs, err := p.masterCerts(env, "node1.contoso.com", m.Settings.SSLCertThumbprint, func() ([]masterCertState, error) {
		t.Error("a placeholder thumbprint was looked for on the node")
		return nil, nil
	})
	if err != nil || len(certs) != 1 || !strings.Contains(strings.Join(certs[0].DNSNames, " "), "ssismaster") {
		t.Errorf("certificates after step 2: %+v (%v)", certs, err)
	}
}
