package estate

import (
	"testing"
	"time"
)

// heartbeatEstate has a catalog on node1 and the master service running on node1.
func heartbeatEstate(sqlServerName string) *Estate {
	e := NewEstate(SeedOptions{})
	n := e.Nodes["node1.contoso.com"]
	acct := `CONTOSO\svc_ssismaster`
	n.Services["ssisscaleoutmaster150"] = &Service{Name: "SSISScaleOutMaster150", Account: acct, State: "Running"}
	n.Files[`C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MasterSettings.config`] = MasterSettingsXML(8391, "AB", sqlServerName)
	n.SQL.Logins[`contoso\svc_ssismaster`] = &Login{Name: acct, Type: "WINDOWS_LOGIN"}
	n.SQL.Databases[ssisdbKey] = &Database{Name: "SSISDB", State: "ONLINE", Users: map[string]*DBUser{`contoso\svc_ssismaster`: {Name: acct}},
		Catalog: &Catalog{Properties: map[string]string{}, WorkerAgents: map[string]*WorkerAgent{}}}
	return e
}

func TestMasterHeartbeat(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, sqlServerName string
		beats               bool
	}{
		{"own instance holds the catalog", "NODE1", true},
		{"points at an instance without the catalog", "NODE2", false},
		{"points at an unknown name", "nowhere,1433", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := heartbeatEstate(tc.sqlServerName)
			NewOperations().Tick(e, now)
			got := e.Nodes["node1.contoso.com"].SQL.Databases[ssisdbKey].Catalog.Properties["MACHINE_NAME"]
			if (got == "NODE1") != tc.beats {
				t.Errorf("MACHINE_NAME = %q, heartbeat expected: %v", got, tc.beats)
			}
		})
	}
}

func TestScaleoutEnableErrors(t *testing.T) {
	e := heartbeatEstate("NODE1")
	n := e.Nodes["node1.contoso.com"]
	c := NewOpContext(e, n, `CONTOSO\dba`, false, time.Now(), nil)
	if _, err := ssisdbScaleoutEnable(c, Params{}); err == nil || err.(*SQLError).Number != 27261 {
		t.Errorf("without the master installed: %v, want 27261", err)
	}
	n.Installed["IS_Master"] = "15.0"
	c.User = `CONTOSO\svc_ssismaster`
	if _, err := ssisdbScaleoutEnable(c, Params{}); err == nil || err.(*SQLError).Number != 27260 {
		t.Errorf("without sysadmin: %v, want 27260", err)
	}
	c.User = `CONTOSO\dba`
	if _, err := ssisdbScaleoutEnable(c, Params{}); err != nil {
		t.Fatal(err)
	}
	if n.SQL.Databases[ssisdbKey].Catalog.Properties["IS_SCALEOUT_ENABLED"] != "TRUE" || n.SQL.Logins["##ms_ssislogdbworkeragentlogin##"] == nil {
		t.Errorf("Scale Out not enabled or logging login missing")
	}
}
