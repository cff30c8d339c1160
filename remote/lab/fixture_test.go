package lab

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// Names the hand-built estates use.
const (
	fxMasterThumb = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	fxWorkerThumb = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
	fxAgentID     = "11111111-2222-3333-4444-555555555555"
	fxFamily      = "6F1E2D3C-0000-4000-8000-000000000001"
	fxLogSID      = "0x0102030405060708"
	fxLogPassword = "Log-Pa55word!xyzAB"
	fxDMKPassword = "Dmk-Pa55word!xyzAB"
	fxNode1       = "node1.contoso.com"
	fxNode2       = "node2.contoso.com"
	fxWorker1     = "worker1.contoso.com"
	fxMasterSvc   = "SSISScaleOutMaster150"
	fxSettings    = `C:\Program Files\Microsoft SQL Server\150\DTS\Binn\MasterSettings.config`
	fxWSettings   = `C:\Program Files\Microsoft SQL Server\150\DTS\Binn\WorkerSettings.config`
	fxCleanupSID  = "0x0A0B0C0D"
	fxCleanupUser = "##MS_SSISServerCleanupJobUser##"
)

// fxAlwaysOnSupport gives an instance what SSISDB needs of it on every replica: CLR
// with the assembly key and login, the cleanup login with the catalog's SID, and the
// two SSIS jobs as the product defines them.
func fxAlwaysOnSupport(in *estate.Instance) {
	in.CLREnabled = true
	in.AsymmetricKeys[estate.AssemblyKey] = estate.AssemblyPath(15)
	in.Logins[strings.ToLower(estate.AssemblyLogin)] = &estate.Login{Name: estate.AssemblyLogin, Type: "ASYMMETRIC_KEY_MAPPED_LOGIN", SID: "0x0101"}
	in.Grants["UNSAFE ASSEMBLY TO "+estate.AssemblyLogin] = true
	in.Logins["##ms_ssisservercleanupjoblogin##"] = &estate.Login{Name: "##MS_SSISServerCleanupJobLogin##", Type: "SQL_LOGIN", SID: fxCleanupSID, Disabled: true}
	in.StartupProcs["sp_ssis_startup"] = true
	in.Jobs["SSIS Server Maintenance Job"] = &estate.AgentJob{Name: "SSIS Server Maintenance Job", Owner: "##MS_SSISServerCleanupJobLogin##",
		Steps: []estate.JobStep{{Name: "SSIS Server Operation Records Maintenance", Command: "EXEC [SSISDB].[internal].[cleanup_server_retention_window]"},
			{Name: "SSIS Server Max Version Per Project Maintenance", Command: "EXEC [SSISDB].[internal].[cleanup_server_project_version]"}}}
	in.Jobs["SSIS Failover Monitor Job"] = &estate.AgentJob{Name: "SSIS Failover Monitor Job", Owner: "sa",
		Steps: []estate.JobStep{{Name: "AlwaysOn Failover Monitor", Command: "EXEC [SSISDB].[internal].[refresh_replica_status] @server_name = @@SERVERNAME, @status = @status OUTPUT; IF @status = 1 EXEC [SSISDB].[catalog].[startup];"}}}
}

// healthyEstate is an estate after all nine steps: two master nodes in a cluster,
// SSISDB in an AG with a listener on node1, the master role on node1, one worker.
func healthyEstate(t testing.TB) *estate.Estate {
	t.Helper()
	e := estate.NewEstate(estate.SeedOptions{Masters: 2, Workers: 1})
	acct := e.Domain + `\` + estate.MasterServiceAccount
	acctPW := e.Accounts[strings.ToLower(acct)].Password
	mc := &estate.Cert{Thumbprint: fxMasterThumb, Subject: "CN=ssismaster.contoso.com", DNSNames: []string{"ssismaster", "ssismaster.contoso.com"}, HasPrivateKey: true}
	wc := &estate.Cert{Thumbprint: fxWorkerThumb, Subject: "CN=worker1.contoso.com", DNSNames: []string{"worker1.contoso.com"}, HasPrivateKey: true}
	e.Cluster = &estate.Cluster{Name: "SSISCL", Nodes: []string{fxNode1, fxNode2}, Groups: map[string]*estate.ClusterGroup{
		"ag_ssis":    {Name: "AG_SSIS", Type: "AvailabilityGroup", Owner: fxNode1, State: "Online"},
		"ssismaster": {Name: "SSISMASTER", Type: "GenericService", Owner: fxNode1, State: "Online", ServiceName: fxMasterSvc, DNSName: "ssismaster", IP: "10.0.0.60"},
	}}
	e.AG = &estate.AvailabilityGroup{Name: "AG_SSIS", Primary: fxNode1, Replicas: []string{fxNode1, fxNode2},
		Joined: map[string]bool{fxNode1: true, fxNode2: true}, Databases: []string{"SSISDB"},
		Listener: &estate.AGListener{DNSName: "ssislsn", Port: 1433, IP: "10.0.0.50", Mask: "255.255.255.0"}}
	for _, h := range []string{fxNode1, fxNode2} {
		n := e.Nodes[h]
		state := "Stopped"
		if h == fxNode1 {
			state = "Running"
		}
		n.Features["Failover-Clustering"] = true
		n.Installed["IS_Master"] = n.SQL.Version
		n.Services[strings.ToLower(fxMasterSvc)] = &estate.Service{Name: fxMasterSvc, Account: acct, Password: acctPW, StartMode: "Manual", State: state}
		n.Files[fxSettings] = estate.MasterSettingsXML(8391, fxMasterThumb, "ssislsn,1433")
		mcCopy, wcCopy := *mc, *wc
		wcCopy.HasPrivateKey = false
		n.Certs[`LocalMachine\Root`][fxMasterThumb] = &mcCopy
		n.Certs[`LocalMachine\Root`][fxWorkerThumb] = &wcCopy
		n.SSLBindings["0.0.0.0:8391"] = fxMasterThumb
		// The inbound rules steps 2 and 3 add: the master port, the instance's and
		// listener's port, the mirroring endpoint's.
		for _, port := range []int{8391, 1433, 5022} {
			name := fmt.Sprintf("fx-%d", port)
			n.Firewall[name] = &estate.FirewallRule{Name: name, Port: port, Enabled: true}
		}
		in := n.SQL
		in.HadrEnabled = true
		in.Endpoints["hadr_endpoint"] = &estate.Endpoint{Name: "Hadr_endpoint", Port: 5022, State: "STARTED"}
		fxAlwaysOnSupport(in)
		in.Logins[strings.ToLower(acct)] = &estate.Login{Name: acct, Type: "WINDOWS_LOGIN", SID: estate.WindowsSID(acct)}
		in.Logins[strings.ToLower(estate.LoggingLogin)] = &estate.Login{Name: estate.LoggingLogin, Type: "SQL_LOGIN", SID: fxLogSID, Password: fxLogPassword}
		db := &estate.Database{Name: "SSISDB", Recovery: "FULL", State: "ONLINE", FamilyGUID: fxFamily, HasBackup: true, MasterKey: true, MasterKeyPassword: fxDMKPassword,
			Users: map[string]*estate.DBUser{
				strings.ToLower(acct):               {Name: acct, SID: estate.WindowsSID(acct), Roles: map[string]bool{"ssis_admin": true}},
				strings.ToLower(estate.LoggingUser): {Name: estate.LoggingUser, SID: fxLogSID, Roles: map[string]bool{"ssis_cluster_worker": true}},
				strings.ToLower(fxCleanupUser):      {Name: fxCleanupUser, SID: fxCleanupSID, Roles: map[string]bool{"ssis_failover_monitoring_agent": true}},
			}}
		if h == fxNode1 {
			db.EncryptedByServer = true
			db.Catalog = &estate.Catalog{
				Properties:            map[string]string{"IS_SCALEOUT_ENABLED": "TRUE", "MASTER_ADDRESS": "https://ssismaster.contoso.com:8391", "CLUSTER_LOGDB_SERVER": "ssislsn,1433"},
				LogDBConnectionString: "Data Source=ssislsn,1433;Initial Catalog=SSISDB;User Id=" + estate.LoggingLogin + ";Password='" + fxLogPassword + "';",
				WorkerAgents:          map[string]*estate.WorkerAgent{fxAgentID: {ID: fxAgentID, MachineName: "WORKER1", Enabled: true}},
				AlwaysOnReplicas:      map[string]int{"NODE1": 1, "NODE2": 2},
			}
		} else {
			db.State = "RESTORING"
			in.MasterKeyPasswords[fxFamily] = fxDMKPassword
		}
		in.Databases["ssisdb"] = db
	}
	w := e.Nodes[fxWorker1]
	w.Installed["IS_Worker"] = "15.0.4345.5"
	w.Services["ssisscaleoutworker150"] = &estate.Service{Name: "SSISScaleOutWorker150", Account: e.Domain + `\` + estate.WorkerServiceAccount, StartMode: "Auto", State: "Running"}
	w.Files[fxWSettings] = estate.WorkerSettingsXML("worker1", "https://ssismaster.contoso.com:8391", fxMasterThumb, fxWorkerThumb, fxAgentID)
	mcPub := *mc
	mcPub.HasPrivateKey = false
	w.Certs[`LocalMachine\Root`][fxMasterThumb] = &mcPub
	w.Certs[`LocalMachine\My`][fxWorkerThumb] = wc
	return e
}

// newTestLab starts a lab over a hand-built estate (nil: the seed) in a temp dir.
func newTestLab(t testing.TB, e *estate.Estate, opts Options) *Lab {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if opts.Ops == nil {
		opts.Ops = estate.NewOperations()
		addTestOperations(opts.Ops)
	}
	l, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	if e != nil {
		l.Estate(func(cur *estate.Estate) { *cur = *e })
	}
	return l
}
