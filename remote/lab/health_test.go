package lab

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

func TestHealthHealthyEstateHasNoProblems(t *testing.T) {
	if ps := estate.CheckHealth(healthyEstate(t)); len(ps) != 0 {
		for _, p := range ps {
			t.Errorf("unexpected problem: %s", p)
		}
	}
}

func TestHealthSeedEstateSaysWhatIsMissing(t *testing.T) {
	ps := estate.CheckHealth(estate.NewEstate(estate.SeedOptions{Workers: 1}))
	want := []struct{ area, host, text string }{
		{estate.AreaMaster, "", "not installed on any master node"},
		{estate.AreaSSISDB, "", "catalog does not exist"},
		{estate.AreaWorkers, fxWorker1, "Worker is not installed"},
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
		break_ func(e *estate.Estate)
		area   string
		host   string
		text   string
	}{
		{"two masters running", func(e *estate.Estate) { e.Nodes[fxNode2].Services["ssisscaleoutmaster150"].State = "Running" }, estate.AreaMaster, "", "runs on 2 nodes"},
		{"no master running", func(e *estate.Estate) { e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].State = "Stopped" }, estate.AreaMaster, "", "no Scale Out Master service is running"},
		{"running off the owner", func(e *estate.Estate) {
			e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].State = "Stopped"
			e.Nodes[fxNode2].Services["ssisscaleoutmaster150"].State = "Running"
		}, estate.AreaMaster, fxNode2, "owned by"},
		{"role failed", func(e *estate.Estate) { e.Cluster.Groups["ssismaster"].State = "Failed" }, estate.AreaMaster, fxNode1, "is Failed"},
		{"settings at the node", func(e *estate.Estate) {
			e.Nodes[fxNode2].Files[fxSettings] = estate.MasterSettingsXML(8391, fxMasterThumb, "node2,1433")
		}, estate.AreaMaster, fxNode2, "after a failover of the master role here"},
		{"active settings at the primary", func(e *estate.Estate) {
			e.Nodes[fxNode1].Files[fxSettings] = estate.MasterSettingsXML(8391, fxMasterThumb, "NODE1")
		}, estate.AreaMaster, fxNode1, "after an AG failover it loses SSISDB"},
		{"no login on primary", func(e *estate.Estate) { delete(e.Nodes[fxNode1].SQL.Logins, acct) }, estate.AreaMaster, fxNode1, "has no login"},
		{"no login on secondary", func(e *estate.Estate) { delete(e.Nodes[fxNode2].SQL.Logins, acct) }, estate.AreaMaster, fxNode2, "after an AG failover here"},
		{"not ssis_admin", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Users[acct].Roles = map[string]bool{}
		}, estate.AreaMaster, fxNode1, "ssis_admin"},
		{"no binding", func(e *estate.Estate) { delete(e.Nodes[fxNode1].SSLBindings, "0.0.0.0:8391") }, estate.AreaMaster, fxNode1, "no http.sys certificate binding"},
		{"wrong binding", func(e *estate.Estate) { e.Nodes[fxNode2].SSLBindings["0.0.0.0:8391"] = fxWorkerThumb }, estate.AreaMaster, fxNode2, "uses certificate"},
		{"cert lacks role name", func(e *estate.Estate) {
			c := e.Nodes[fxNode1].Certs[`LocalMachine\Root`][fxMasterThumb]
			c.DNSNames, c.Subject = []string{"node1.contoso.com"}, "CN=node1.contoso.com"
		}, estate.AreaMaster, fxNode1, "do not include the role's DNS name"},
		{"virtual account", func(e *estate.Estate) {
			e.Nodes[fxNode1].Services["ssisscaleoutmaster150"].Account = `NT Service\SSISScaleOutMaster150`
		}, estate.AreaMaster, "", "cannot log in to another replica"},
		{"master not on node2", func(e *estate.Estate) { delete(e.Nodes[fxNode2].Services, "ssisscaleoutmaster150") }, estate.AreaMaster, fxNode2, "cannot fail over to this node"},
		{"no AG", func(e *estate.Estate) { e.AG = nil }, estate.AreaSSISDB, fxNode1, "not in an availability group"},
		{"no listener", func(e *estate.Estate) { e.AG.Listener = nil }, estate.AreaSSISDB, "", "has no listener"},
		{"DMK closed on primary", func(e *estate.Estate) { e.Nodes[fxNode1].SQL.Databases["ssisdb"].EncryptedByServer = false }, estate.AreaSSISDB, fxNode1, "master key cannot be opened"},
		{"DMK closed after failover", func(e *estate.Estate) { e.Nodes[fxNode2].SQL.MasterKeyPasswords = map[string]string{} }, estate.AreaSSISDB, fxNode2, "could not be opened"},
		{"DMK credential wrong", func(e *estate.Estate) { e.Nodes[fxNode2].SQL.MasterKeyPasswords[fxFamily] = "old" }, estate.AreaSSISDB, fxNode2, "could not be opened"},
		{"secondary not joined", func(e *estate.Estate) { e.AG.Joined[fxNode2] = false }, estate.AreaSSISDB, fxNode2, "has not joined"},
		{"secondary without copy", func(e *estate.Estate) { delete(e.Nodes[fxNode2].SQL.Databases, "ssisdb") }, estate.AreaSSISDB, fxNode2, "no copy of SSISDB"},
		{"scale out off", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties["IS_SCALEOUT_ENABLED"] = ""
		}, estate.AreaLogging, fxNode1, "not enabled"},
		{"logging to the node", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.LogDBConnectionString = "Data Source=NODE1;User Id=" + estate.LoggingLogin + ";Password='" + fxLogPassword + "';"
		}, estate.AreaLogging, "", "not the availability group listener"},
		{"logging login missing on secondary", func(e *estate.Estate) { delete(e.Nodes[fxNode2].SQL.Logins, strings.ToLower(estate.LoggingLogin)) }, estate.AreaLogging, fxNode2, "does not exist"},
		{"logging login disabled", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Logins[strings.ToLower(estate.LoggingLogin)].Disabled = true
		}, estate.AreaLogging, fxNode1, "is disabled"},
		{"logging SID differs", func(e *estate.Estate) { e.Nodes[fxNode2].SQL.Logins[strings.ToLower(estate.LoggingLogin)].SID = "0xFF" }, estate.AreaLogging, fxNode2, "orphaned"},
		{"logging password differs", func(e *estate.Estate) {
			e.Nodes[fxNode2].SQL.Logins[strings.ToLower(estate.LoggingLogin)].Password = "other"
		}, estate.AreaLogging, fxNode2, "password differs"},
		{"mixed mode off", func(e *estate.Estate) { e.Nodes[fxNode1].SQL.MixedMode = false }, estate.AreaLogging, fxNode1, "SQL authentication is off"},
		{"master address unset", func(e *estate.Estate) {
			delete(e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties, "MASTER_ADDRESS")
		}, estate.AreaWorkers, "", "MASTER_ADDRESS is not set"},
		{"master address not in cert", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.Properties["MASTER_ADDRESS"] = "https://node1.contoso.com:8391"
		}, estate.AreaWorkers, "", "not among the master certificate's names"},
		{"worker endpoint differs", func(e *estate.Estate) {
			e.Nodes[fxWorker1].Files[fxWSettings] = estate.WorkerSettingsXML("worker1", "https://ssismaster:8391", fxMasterThumb, fxWorkerThumb, fxAgentID)
		}, estate.AreaWorkers, fxWorker1, "is not MASTER_ADDRESS"},
		{"worker cert missing on node2", func(e *estate.Estate) { delete(e.Nodes[fxNode2].Certs[`LocalMachine\Root`], fxWorkerThumb) }, estate.AreaWorkers, fxNode2, "gets 403"},
		{"master cert untrusted on worker", func(e *estate.Estate) { delete(e.Nodes[fxWorker1].Certs[`LocalMachine\Root`], fxMasterThumb) }, estate.AreaWorkers, fxWorker1, "not trusted here"},
		{"agent disabled", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.WorkerAgents[fxAgentID].Enabled = false
		}, estate.AreaWorkers, fxWorker1, "not enabled"},
		{"agent not registered", func(e *estate.Estate) {
			e.Nodes[fxNode1].SQL.Databases["ssisdb"].Catalog.WorkerAgents = map[string]*estate.WorkerAgent{}
		}, estate.AreaWorkers, fxWorker1, "has not registered"},
		{"worker stopped", func(e *estate.Estate) { e.Nodes[fxWorker1].Services["ssisscaleoutworker150"].State = "Stopped" }, estate.AreaWorkers, fxWorker1, "is Stopped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := healthyEstate(t)
			tt.break_(e)
			ps := estate.CheckHealth(e)
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

func hasProblem(ps []estate.Problem, area, host, text string) bool {
	for _, p := range ps {
		if p.Area == area && strings.EqualFold(p.Host, host) && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}

func problemsText(ps []estate.Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}
