package estate

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// winRun calls one PowerShell operation of the table on host.
func winRun(t *testing.T, e *Estate, host, op string, p Params) (any, error) {
	t.Helper()
	fn, ok := NewOperations().PowerShell(op)
	if !ok {
		t.Fatalf("operation %s is not in the table", op)
	}
	return fn(NewOpContext(e, e.Node(host), e.Domain+`\`+AdminAccount, false, time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), nil), p)
}

func winJSON(t *testing.T, e *Estate) string {
	t.Helper()
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func winPassword(e *Estate, user string) string {
	return e.Accounts[strings.ToLower(e.Domain+`\`+user)].Password
}

func winInstallMaster(t *testing.T, e *Estate, host string) string {
	t.Helper()
	res, err := winRun(t, e, host, "cert.create", Params{"subject": "CN=ssismaster.contoso.com", "dnsNames": []any{"ssismaster.contoso.com", "ssismaster"}, "friendlyName": masterCertFriendlyName, "years": 5})
	if err != nil {
		t.Fatal(err)
	}
	thumb := res.(map[string]any)["thumbprint"].(string)
	if _, err := winRun(t, e, host, "master.install", Params{"setupPath": SetupMediaPath, "account": `CONTOSO\svc_ssismaster`, "password": winPassword(e, MasterServiceAccount), "port": 8391, "thumbprint": thumb, "startupType": "Automatic", "features": "IS,IS_Master"}); err != nil {
		t.Fatal(err)
	}
	return thumb
}

func TestWindowsReadOperationsChangeNothing(t *testing.T) {
	e := NewEstate(SeedOptions{})
	winInstallMaster(t, e, "node1.contoso.com")
	before := winJSON(t, e)
	reads := map[string]Params{
		"win.node.facts":    {"setupMedia": SetupMediaPath},
		"win.feature.get":   {"name": failoverClustering},
		"win.name.check":    {"names": []any{"ssiscl", "node2"}},
		"win.address.check": {"addresses": []any{"10.0.0.40"}},
		"win.account.check": {"accounts": []any{`CONTOSO\svc_ssismaster`}},
		"win.host.check":    {"host": "node2.contoso.com", "port": 5986},
		"cluster.get":       {"name": "SSISCL"},
		"cluster.role.get":  {"name": "ssismaster", "serviceName": "SSISScaleOutMaster150"},
		"master.get":        {"serviceName": "SSISScaleOutMaster150", "folder": "150", "settingsPath": binnDir("150") + `\MasterSettings.config`, "port": 8391, "firewallRule": "x", "setupMedia": SetupMediaPath, "instance": "MSSQLSERVER"},
		"cert.get":          {"dnsName": "ssismaster.contoso.com"},
	}
	for op, p := range reads {
		if _, err := winRun(t, e, "node1.contoso.com", op, p); err != nil {
			t.Errorf("%s: %v", op, err)
		}
		if winJSON(t, e) != before {
			t.Fatalf("%s changed the estate", op)
		}
	}
}

func TestWindowsOperationFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(e *Estate)
		host    string
		op      string
		params  func(e *Estate) Params
		message string
	}{
		{"setup with a wrong password", nil, "node1.contoso.com", "master.install", func(e *Estate) Params {
			return Params{"setupPath": SetupMediaPath, "account": `CONTOSO\svc_ssismaster`, "password": "wrong", "port": 8391, "thumbprint": "X", "startupType": "Automatic", "features": "IS,IS_Master"}
		}, "credentials you provided"},
		{"setup with a virtual account", nil, "node1.contoso.com", "master.install", func(e *Estate) Params {
			return Params{"setupPath": SetupMediaPath, "account": `NT Service\SSISScaleOutMaster150`, "port": 8391, "startupType": "Automatic", "features": "IS,IS_Master"}
		}, "virtual or built-in"},
		{"setup with a restart pending", func(e *Estate) { e.Node("node1").PendingReboot = true }, "node1.contoso.com", "master.install", func(e *Estate) Params {
			return Params{"setupPath": SetupMediaPath, "account": `CONTOSO\svc_ssismaster`, "password": winPassword(e, MasterServiceAccount), "features": "IS,IS_Master"}
		}, "must restart"},
		{"New-Cluster with a name in DNS", func(e *Estate) {
			e.DNS["ssiscl"] = "10.0.0.99"
			for _, n := range e.Nodes {
				n.Features[failoverClustering] = true
			}
		}, "node1.contoso.com", "cluster.create", func(e *Estate) Params {
			return Params{"name": "SSISCL", "nodes": []any{"node1.contoso.com", "node2.contoso.com"}, "staticAddress": "10.0.0.40", "runAsUser": `CONTOSO\dba`, "runAsPassword": winPassword(e, AdminAccount)}
		}, "already in use"},
		{"New-Cluster without the feature", nil, "node1.contoso.com", "cluster.create", func(e *Estate) Params {
			return Params{"name": "SSISCL", "nodes": []any{"node1.contoso.com"}, "staticAddress": "10.0.0.40", "runAsUser": `CONTOSO\dba`, "runAsPassword": winPassword(e, AdminAccount)}
		}, "not installed"},
		{"scheduled task with a wrong password", nil, "node1.contoso.com", "cluster.create", func(e *Estate) Params {
			return Params{"name": "SSISCL", "runAsUser": `CONTOSO\dba`, "runAsPassword": "nope"}
		}, "user name or password is incorrect"},
		{"generic service missing on a node", func(e *Estate) {
			e.Cluster = &Cluster{Name: "SSISCL", IP: "10.0.0.40", Nodes: []string{"node1.contoso.com", "node2.contoso.com"}, Groups: map[string]*ClusterGroup{}}
			e.Node("node1").Services["ssisscaleoutmaster150"] = &Service{Name: "SSISScaleOutMaster150", State: "Running"}
		}, "node1.contoso.com", "cluster.role.create", func(e *Estate) Params {
			return Params{"name": "ssismaster", "serviceName": "SSISScaleOutMaster150", "staticAddress": "10.0.0.60", "runAsUser": `CONTOSO\dba`, "runAsPassword": winPassword(e, AdminAccount)}
		}, "not installed on cluster node 'NODE2'"},
		{"generic service with a name in DNS", func(e *Estate) {
			e.Cluster = &Cluster{Name: "SSISCL", IP: "10.0.0.40", Nodes: []string{"node1.contoso.com"}, Groups: map[string]*ClusterGroup{}}
			e.Node("node1").Services["ssisscaleoutmaster150"] = &Service{Name: "SSISScaleOutMaster150", State: "Running"}
			e.DNS["ssismaster"] = "10.0.0.61"
		}, "node1.contoso.com", "cluster.role.create", func(e *Estate) Params {
			return Params{"name": "ssismaster", "serviceName": "SSISScaleOutMaster150", "staticAddress": "10.0.0.60", "runAsUser": `CONTOSO\dba`, "runAsPassword": winPassword(e, AdminAccount)}
		}, "already in use"},
		{"export of a non-exportable key", func(e *Estate) {
			e.Node("node1").Certs[StoreRoot]["AA"] = &Cert{Thumbprint: "AA", HasPrivateKey: true}
		}, "node1.contoso.com", "cert.export", func(e *Estate) Params { return Params{"thumbprint": "AA", "password": "x"} }, "non-exportable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := NewEstate(SeedOptions{})
			if tc.setup != nil {
				tc.setup(e)
			}
			_, err := winRun(t, e, tc.host, tc.op, tc.params(e))
			if err == nil || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("%s: got %v, want an error with %q", tc.op, err, tc.message)
			}
		})
	}
}

func TestPFXTransfer(t *testing.T) {
	e := NewEstate(SeedOptions{})
	thumb := winInstallMaster(t, e, "node1.contoso.com")
	res, err := winRun(t, e, "node1.contoso.com", "cert.export", Params{"thumbprint": thumb, "password": "right"})
	if err != nil {
		t.Fatal(err)
	}
	pfx := res.(map[string]any)["pfx"].(string)
	if _, err := winRun(t, e, "node2.contoso.com", "cert.import", Params{"thumbprint": thumb, "pfx": pfx, "password": "wrong"}); err == nil || !strings.Contains(err.Error(), "network password is not correct") {
		t.Fatalf("import with a wrong password: %v", err)
	}
	if _, err := winRun(t, e, "node2.contoso.com", "cert.import", Params{"thumbprint": thumb, "pfx": pfx, "password": "right"}); err != nil {
		t.Fatal(err)
	}
	c := e.Node("node2").Certs[StoreRoot][thumb]
	if c == nil || !c.HasPrivateKey {
		t.Fatalf("imported certificate: %+v", c)
	}
}

func TestMasterInstallEffects(t *testing.T) {
	e := NewEstate(SeedOptions{})
	thumb := winInstallMaster(t, e, "node1.contoso.com")
	n := e.Node("node1")
	if n.Registry[MasterMarkerKey("150")] == "" || n.Installed["IS_Master"] == "" || n.SSLBindings["0.0.0.0:8391"] != thumb {
		t.Fatalf("install effects missing: %+v %+v", n.Registry, n.Installed)
	}
	cfg, ok := n.File(binnDir("150") + `\MasterSettings.config`)
	if !ok {
		t.Fatal("no MasterSettings.config")
	}
	if v, _ := SettingGet(cfg, "SSLCertThumbprint"); v != thumb {
		t.Fatalf("SSLCertThumbprint = %s", v)
	}
	if v, _ := SettingGet(cfg, "SqlServerName"); v != "NODE1" {
		t.Fatalf("SqlServerName = %s", v)
	}
}
