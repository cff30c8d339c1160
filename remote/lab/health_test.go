package lab

import (
	"strings"
	"testing"
)

func TestHealthHealthyEstateHasNoProblems(t *testing.T) {
	if ps := CheckHealth(healthyEstate(t)); len(ps) != 0 {
		for _, p := range ps {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

func TestHealthSeedEstateSaysWhatIsMissing(t *testing.T) {
	ps := CheckHealth(NewEstate(SeedOptions{Workers: 1}))
	want := []struct{ area, host, text string }{
		{AreaMaster, "", "not installed on any master node"},
		{AreaSSISDB, "", "catalog does not exist"},
		{AreaWorkers, fxWorker1, "Worker is not installed"},
	}
	for _, w := range want {
		if !hasProblem(ps, w.area, w.host, w.text) {
			t.Errorf("no %s problem on %q containing %q in %v", w.area, w.host, w.text, ps)
		}
	}
	for _, p := range ps {
		if p.Fix == "" || p.Message == "" {
			t.Errorf("problem without message or fix: %#v", p)
		}
	}
}

func TestHealthFindsEachBreakage(t *testing.T) {
	acct := `contoso\svc_ssismaster`
	tests := []struct {
		name   string
		break_ func(e *Estate)
		area   string
		host   string
		text   string
	}{
		{"two masters running", func(e *Estate) { e.Nodes[fxNode2].Services["ssisscaleoutmaster150"].State = "Running" }, AreaMaster, "", "runs on 2 nodes"},
		{"no master running", func(e *Estate) { e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].State = "Stopped" }, AreaMaster, "", "no Scale Out Master service is running"},
		{"running off the owner", func(e *Estate) {
			e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].State = "Stopped"
			e.Nodes[fxNode2].Services["ssisscaleoutmaster150"].State = "Running"
		}, AreaMaster, fxNode2, "owned by"},
		{"role failed", func(e *Estate) { e.Cluster.Groups["ssismaster"].State = "Failed" }, AreaMaster, fxNode1, "is Failed"},
		{"settings at the node", func(e *Estate) {
			e.Nodes[fxNode2].Files[fxSettings] = MasterSettingsXML(8391, fxMasterThumb, "node2,1433")
		}, AreaMaster, fxNode2, "after a failover of the master role here"},
		{"active settings at the primary", func(e *Estate) {
			e.Nodes[fxNode1].Files[fxSettings] = MasterSettingsXML(8391, fxMasterThumb, "NODE1")
		}, AreaMaster, fxNode1, "after an AG failover it loses SSISDB"},
		{"no login on primary", func(e *Estate) { delete(e.Nodes[fxNode1].SQL.Logins, acct) }, AreaMaster, fxNode1, "has no login"},
		{"no login on secondary", func(e *Estate) { delete(e.Nodes[fxNode2].SQL.Logins, acct) }, AreaMaster, fxNode2, "after an AG failover here"},
		{"not ssis_admin", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Users[acct].Roles = map[string]bool{}
		}, AreaMaster, fxNode1, "ssis_admin"},
		{"no binding", func(e *Estate) { delete(e.Nodes[fxNode1].SSLBindings, "0.0.0.0:8391") }, AreaMaster, fxNode1, "no http.sys certificate binding"},
		{"wrong binding", func(e *Estate) { e.Nodes[fxNode2].SSLBindings["0.0.0.0:8391"] = fxWorkerThumb }, AreaMaster, fxNode2, "uses certificate"},
		{"cert lacks role name", func(e *Estate) {
			c := e.Nodes[fxNode1].Certs[`LocalMachine\Root`][fxMasterThumb]
			c.DNSNames, c.Subject = []string{"node1.contoso.com"}, "CN=node1.contoso.com"
		}, AreaMaster, fxNode1, "do not include the role's DNS name"},
		{"virtual account", func(e *Estate) {
			e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].Account = `NT Service\SSISScaleOutMaster150`
		}, AreaMaster, "", "cannot log in to another replica"},
		{"master not on node2", func(e *Estate) { delete(e.Nodes[fxNode2].Services, "ssisscaleoutmaster150") }, AreaMaster, fxNode2, "cannot fail over to this node"},
		{"no AG", func(e *Estate) { e.AG = nil }, AreaSSISDB, fxNode1, "not in an availability group"},
		{"no listener", func(e *Estate) { e.AG.Listener = nil }, AreaSSISDB, "", "has no listener"},
		{"DMK closed on primary", func(e *Estate) { e.Nodes[fxNode1].SQL.Databases["ssisdb"].EncryptedByServer = false }, AreaSSISDB, fxNode1, "master key cannot be opened"},
		{"DMK closed after failover", func(e *Estate) { e.Nodes[fxNode2].SQL.MasterKeyPasswords = map[string]string{} }, AreaSSISDB, fxNode2, "could not be opened"},
		{"DMK credential wrong", func(e *Estate) { e.Nodes[fxNode2].SQL.MasterKeyPasswords[fxFamily] = "old" }, AreaSSISDB, fxNode2, "could not be opened"},
		{"secondary not joined", func(e *Estate) { e.AG.Joined[fxNode2] = false }, AreaSSISDB, fxNode2, "has not joined"},
		{"secondary without copy", func(e *Estate) { delete(e.Nodes[fxNode2].SQL.Databases, "ssisdb") }, AreaSSISDB, fxNode2, "no copy of SSISDB"},
		{"scale out off", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties["IS_SCALEOUT_ENABLED"] = ""
		}, AreaLogging, fxNode1, "not enabled"},
		{"logging to the node", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.LogDBConnectionString = "Data Source=NODE1;User Id=" + LoggingLogin + ";Password='" + fxLogPassword + "';"
		}, AreaLogging, "", "not the availability group listener"},
		{"logging login missing on secondary", func(e *Estate) { delete(e.Nodes[fxNode2].SQL.Logins, strings.ToLower(LoggingLogin)) }, AreaLogging, fxNode2, "does not exist"},
		{"logging login disabled", func(e *Estate) { e.Nodes[fxNode1].SQL.Logins[strings.ToLower(LoggingLogin)].Disabled = true }, AreaLogging, fxNode1, "is disabled"},
		{"logging SID differs", func(e *Estate) { e.Nodes[fxNode2].SQL.Logins[strings.ToLower(LoggingLogin)].SID = "0xFF" }, AreaLogging, fxNode2, "orphaned"},
		{"logging password differs", func(e *Estate) { e.Nodes[fxNode2].SQL.Logins[strings.ToLower(LoggingLogin)].Password = "other" }, AreaLogging, fxNode2, "password differs"},
		{"mixed mode off", func(e *Estate) { e.Nodes[fxNode1].SQL.MixedMode = false }, AreaLogging, fxNode1, "SQL authentication is off"},
		{"master address unset", func(e *Estate) {
			delete(e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties, "MASTER_ADDRESS")
		}, AreaWorkers, "", "MASTER_ADDRESS is not set"},
		{"master address not in cert", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties["MASTER_ADDRESS"] = "https://node1.contoso.com:8391"
		}, AreaWorkers, "", "not among the master certificate's names"},
		{"worker endpoint differs", func(e *Estate) {
			e.Nodes[fxWorker1].Files[fxWSettings] = WorkerSettingsXML("worker1", "https://ssismaster:8391", fxMasterThumb, fxWorkerThumb, fxAgentID)
		}, AreaWorkers, fxWorker1, "is not MASTER_ADDRESS"},
		{"worker cert missing on node2", func(e *Estate) { delete(e.Nodes[fxNode2].Certs[`LocalMachine\Root`], fxWorkerThumb) }, AreaWorkers, fxNode2, "gets 403"},
		{"master cert untrusted on worker", func(e *Estate) { delete(e.Nodes[fxWorker1].Certs[`LocalMachine\Root`], fxMasterThumb) }, AreaWorkers, fxWorker1, "not trusted here"},
		{"agent disabled", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.WorkerAgents[fxAgentID].Enabled = false
		}, AreaWorkers, fxWorker1, "not enabled"},
		{"agent not registered", func(e *Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.WorkerAgents = map[string]*WorkerAgent{}
		}, AreaWorkers, fxWorker1, "has not registered"},
		{"worker stopped", func(e *Estate) { e.Nodes[fxWorker1].Services["ssisscaleoutworker150"].State = "Stopped" }, AreaWorkers, fxWorker1, "is Stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := healthyEstate(t)
			tt.break_(e)
			ps := CheckHealth(e)
			if !hasProblem(ps, tt.area, tt.host, tt.text) {
				t.Fatalf("want a %s problem on %q containing %q; got:\n%s", tt.area, tt.host, tt.text, problemsText(ps))
			}
		})
	}
}

func TestHealthAfterFailoverStaysHealthy(t *testing.T) {
	l := newTestLab(t, healthyEstate(t), Options{})
	if err := l.FailoverAG(fxNode2); err != nil {
		t.Fatal(err)
	}
	if err := l.FailoverMasterRole("node2"); err != nil {
		t.Fatal(err)
	}
	if ps := l.Health(); len(ps) != 0 {
		t.Fatalf("problems after failing everything over to node2:\n%s", problemsText(ps))
	}
}

func TestParseConnString(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"Data Source=ssislsn,1433;User Id=##L##;Password='a;b''c';", map[string]string{"data source": "ssislsn,1433", "user id": "##L##", "password": "a;b'c"}},
		{`Server = x ; Pwd="q""q"`, map[string]string{"server": "x", "pwd": `q"q`}},
		{"", map[string]string{}},
	}
	for _, tt := range tests {
		got := hcParseConnString(tt.in)
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("hcParseConnString(%q)[%q] = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
}

func FuzzParseConnString(f *testing.F) {
	for _, s := range []string{"Data Source=a,1;Password='x''y';", "a=", "=;;'", `k="unterminated`, "tcp:h\\i,99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_ = hcParseConnString(s)
		host, _ := hcServerAndPort(s)
		if strings.Contains(host, ",") && !strings.Contains(s, ",,") && strings.Count(s, ",") == 1 {
			t.Fatalf("hcServerAndPort(%q) kept the port separator in %q", s, host)
		}
	})
}

func hasProblem(ps []Problem, area, host, text string) bool {
	for _, p := range ps {
		if p.Area == area && strings.EqualFold(p.Host, host) && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
