package steps

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
)

// TestReadAndUndoTemplatesGolden holds the Display text of the templates the plan does
// not show as actions: the read-only probes and the undo scripts.
func TestReadAndUndoTemplatesGolden(t *testing.T) {
	pw := script.NewSecret("logging-password", haCanaryLogging)
	groups := map[string][]Command{
		"step4-reads-and-undo.txt": {
			SQLCommand("node1", tsqlServerFacts()), SQLCommand("node1", tsqlAGReplicaFacts("AG_SSIS", `CONTOSO\svc_ssismaster`)),
			SQLCommand("node1", tsqlCatalogFacts(`CONTOSO\svc_ssismaster`)), SQLCommand("node1", tsqlSchemaCheck()),
			SQLCommand("node1", tsqlEndpointDrop("Hadr_endpoint", true, `CONTOSO\svc_sql`, `CONTOSO\NODE2$`, "ALTER ANY AVAILABILITY GROUP,VIEW SERVER STATE")), SQLCommand("node1", tsqlLoginDrop(`CONTOSO\svc_ssismaster`)),
			SQLCommand("node1", tsqlCatalogDrop(true)), SQLCommand("node1", tsqlUserDrop(`CONTOSO\svc_ssismaster`)),
			SQLCommand("node1", tsqlAGDrop("AG_SSIS")), SQLCommand("node1", tsqlListenerRemove("AG_SSIS", "ssislsn")),
			SQLCommand("node1", tsqlAGReplicaRemove("AG_SSIS", "NODE2")), SQLCommand("node2", tsqlAGSecondaryCleanup("AG_SSIS")),
			SQLCommand("node2", tsqlDMKCredentialDrop("00000000-0000-0000-0000-000000000000")),
			SQLCommand("node1", tsqlAlwaysOnReplicaRemove("NODE2")), SQLCommand("node2", tsqlAlwaysOnSupportRemove("login,startup,maintenance,monitor")),
		},
		"step5-reads.txt": {PSCommand("node1", psMasterSettingsRead("SSISScaleOutMaster150", `C:\x\MasterSettings.config`)), PSCommand("node1", psMasterCertRead("SSISScaleOutMaster150", `C:\x\MasterSettings.config`))},
		"step6-reads.txt": {SQLCommand("node1", tsqlLoggingFacts(LoggingLoginName, pw))},
		"step9-reads-and-undo.txt": {
			PSCommand("worker1", psWorkerFacts("SSISScaleOutWorker150", "AB", "150")),
			PSCommand("node1", psCertCheck("Root", "AB")), PSCommand("node1", psCertRemove("Root", "AB")),
			PSCommand("worker1", psWorkerUninstall(`C:\SQLMedia\setup.exe`, "SSISScaleOutWorker150", "150", true)),
			SQLCommand("@listener", tsqlWorkerDisable("AB")), SQLCommand("@listener", tsqlWorkerDelete("AB")),
		},
	}
	for name, cmds := range groups {
		var b strings.Builder
		for _, c := range cmds {
			b.WriteString("-- on " + c.Host + "\n" + c.Display())
		}
		haAssertNoSecret(t, name, b.String())
		checkGolden(t, name, b.String())
	}
}
