package estate

import "testing"

// TestIntegrationServicesFolderFromTheRegistry: is.binn.get answers as the registry of a
// node with its shared features on D: does: VerSpecificRootDir once the engine is
// there, DTSPath once setup has installed Integration Services, and the default under
// C:\Program Files only on a node with nothing of the version; the server assembly
// exists where setup put it and nowhere else.
func TestIntegrationServicesFolderFromTheRegistry(t *testing.T) {
	const shared = `D:\Program Files\Microsoft SQL Server`
	e := NewEstate(SeedOptions{Workers: 1})
	for _, n := range e.Nodes {
		n.SharedDir = shared
	}
	get := func(host string) map[string]any {
		t.Helper()
		res, err := winRun(t, e, host, "is.binn.get", Params{"folder": "150", "file": serverAssembly})
		if err != nil {
			t.Fatal(err)
		}
		return res.(map[string]any)
	}
	check := func(what string, got map[string]any, path, source string, exists bool) {
		t.Helper()
		if got["path"] != path || got["source"] != source || got["exists"] != exists {
			t.Errorf("%s: got %v, want %s from %s, assembly there: %v", what, got, path, source, exists)
		}
	}
	check("a worker with nothing of SQL Server", get("worker1.contoso.com"), binnDir("150"), "default", false)
	check("a master node with only the engine", get("node1.contoso.com"), shared+`\150\DTS\Binn`, "VerSpecificRootDir", false)
	winInstallMaster(t, e, "node1.contoso.com")
	check("a master node after setup", get("node1.contoso.com"), shared+`\150\DTS\Binn`, "DTSPath", true)
	if _, err := sqlRun(t, e, "node1.contoso.com", "sql.clr.assembly.ensure", Params{"AssemblyPath": AssemblyPath(15)}); err == nil || err.(*SQLError).Number != 15208 {
		t.Errorf("CREATE ASYMMETRIC KEY from the assembly's default path on a node that has it on D:: %v, want error 15208", err)
	}
	if _, err := sqlRun(t, e, "node1.contoso.com", "sql.clr.assembly.ensure", Params{"AssemblyPath": shared + `\150\DTS\Binn\` + serverAssembly}); err != nil {
		t.Errorf("CREATE ASYMMETRIC KEY from the assembly on D:: %v", err)
	}
}
