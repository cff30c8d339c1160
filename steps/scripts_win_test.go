package steps

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
)

// TestWindowsTemplatesGolden holds the displayed text of every Windows-side script.
func TestWindowsTemplatesGolden(t *testing.T) {
	pw := script.NewSecret("operator-password", winCanaryAdmin)
	master := script.NewSecret("master-account-password", winCanaryMaster)
	pfx := script.NewSecret("pfx-password", winCanaryPFX)
	nodes := []string{"node1.contoso.com", "node2.contoso.com"}
	templates := map[string]script.PowerShell{
		"step1-win.node.facts":          psNodeFacts(`C:\SQLMedia\setup.exe`),
		"step1-win.policy.storedcreds":  psPasswordStoragePolicy(),
		"step1-win.feature.get":         psFeatureGet("Failover-Clustering"),
		"step1-win.feature.install":     psFeatureInstall("Failover-Clustering"),
		"step1-win.feature.uninstall":   psFeatureUninstall("Failover-Clustering"),
		"step1-win.name.check":          psNameCheck([]string{"SSISCL", "ssislsn", "ssismaster.contoso.com"}),
		"step1-win.address.check":       psAddressCheck([]string{"10.0.0.40"}),
		"step1-win.account.check":       psAccountCheck([]string{`CONTOSO\svc_ssismaster`}),
		"step1-win.host.check":          psHostCheck("node2.contoso.com", 5986),
		"step1-cluster.get":             psClusterGet("SSISCL"),
		"step1-cluster.create":          psClusterCreate("SSISCL", nodes, "10.0.0.40", `CONTOSO\dba`, pw),
		"step1-cluster.destroy":         psClusterDestroy("SSISCL", `CONTOSO\dba`, pw),
		"step1-cluster.quorum.set":      psClusterQuorumSet("SSISCL", `\\fs01.contoso.com\witness\SSISCL`, `CONTOSO\dba`, pw),
		"step2-master.get":              psMasterGet(masterProbe{ServiceName: "SSISScaleOutMaster150", Folder: "150", SettingsPath: Version{2019, 15}.MasterSettingsPath(), Port: 8391, FirewallRule: "SSISScaleOutMaster-8391", SetupMedia: `C:\SQLMedia\setup.exe`, Instance: "MSSQLSERVER"}),
		"step2-master.install":          psMasterInstall(masterSetup{SetupPath: `C:\SQLMedia\setup.exe`, Folder: "150", Account: `CONTOSO\svc_ssismaster`, Password: master, Port: 8391, CertDNSName: "ssismaster.contoso.com", StartupType: "Automatic", Features: "IS,IS_Master"}),
		"step2-master.uninstall":        psMasterUninstall(`C:\SQLMedia\setup.exe`, "150", "IS,IS_Master", 8391),
		"step2-master.cert.bind":        psMasterCertBind(Version{2019, 15}.MasterSettingsPath(), "SSISScaleOutMaster150", "", "ssismaster.contoso.com", 8391),
		"step2-master.alwayson.enable":  psAlwaysOn(true, "node1.contoso.com"),
		"step2-master.alwayson.disable": psAlwaysOn(false, "node1.contoso.com"),
		"step2-win.firewall.add":        psFirewallAdd("SSISScaleOutMaster-8391", "SSIS Scale Out Master 8391", 8391),
		"step2-win.firewall.remove":     psFirewallRemove("SSISScaleOutMaster-8391"),
		"step2-cert.get":                psMasterCertGet("", "ssismaster.contoso.com"),
		"step2-cert.create":             psMasterCertCreate("CN=ssismaster.contoso.com", []string{"ssismaster.contoso.com", "ssismaster", "node1.contoso.com"}, "SSISScaleOutMaster", 5),
		"step2-cert.copy.root":          psMasterCertCopyToRoot("AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"),
		"step2-cert.remove":             psMasterCertRemove("AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12", []string{"My", "Root"}),
		"step3-cert.export":             psMasterCertExport("AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12", pfx),
		"step3-cert.import":             psMasterCertImport("AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12", script.NewSecret("master-pfx", "UEZYLWJ5dGVz"), pfx),
		"step3-master.service.set":      psServiceSet("SSISScaleOutMaster150", "Manual", "Stopped"),
		"step7-cluster.role.get":        psRoleGet("ssismaster", "SSISScaleOutMaster150"),
		"step7-cluster.role.create":     psRoleCreate("ssismaster", "SSISScaleOutMaster150", "10.0.0.60", []string{"NODE1", "NODE2"}, `CONTOSO\dba`, pw),
		"step7-cluster.role.remove":     psRoleRemove("ssismaster", true, "", `CONTOSO\dba`, pw),
	}
	for name, s := range templates {
		text := s.Display()
		winNoSecret(t, name, text)
		if !strings.HasPrefix(text, script.OpPrefixPS+s.Op+"\n") || !strings.HasSuffix(text, "ConvertTo-Json -Compress -Depth 5\n") {
			t.Errorf("%s does not start with its op line or end with one JSON result", name)
		}
		if strings.Count(text, "ConvertTo-Json -Compress -Depth 5\n") != 1 {
			t.Errorf("%s prints more than one result", name)
		}
		op, params, err := script.ParsePowerShell(s.Render())
		if in := s.InputBytes(); err == nil && in != nil {
			err = script.MergeInput(params, in)
		}
		if err != nil || op != s.Op || len(params) != len(s.Params) {
			t.Errorf("%s does not parse back: %v", name, err)
		}
		checkGolden(t, name+".ps1", text)
	}
}
