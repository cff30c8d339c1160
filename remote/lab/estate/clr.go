package estate

import (
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
)

// What SSISDB's CLR code needs on the instance that serves the catalog: CLR enabled,
// the asymmetric key made from the Integration Services server assembly, and the login
// made from that key with UNSAFE ASSEMBLY. Catalog creation makes them on its
// instance; a secondary has none of them until "Enable Always On support" makes them,
// and after a failover to it executions, deployments and validations fail with error
// 6263 (CLR disabled) or 10314 (the assembly cannot be loaded).

// The objects catalog creation makes for SSISDB's assemblies, and the SSISDB user
// the maintenance job's login maps to.
const (
	AssemblyKey   = "MS_SQLEnableSystemAssemblyLoadingKey"
	AssemblyLogin = "##MS_SQLEnableSystemAssemblyLoadingUser##"
	cleanupUser   = "##MS_SSISServerCleanupJobUser##"
)

// maintenanceSteps are the two steps of the product's SSIS Server Maintenance Job.
var maintenanceSteps = []JobStep{
	{Name: "SSIS Server Operation Records Maintenance", Command: "EXEC [SSISDB].[internal].[cleanup_server_retention_window]"},
	{Name: "SSIS Server Max Version Per Project Maintenance", Command: "EXEC [SSISDB].[internal].[cleanup_server_project_version]"},
}

// serverAssembly is the file name of the Integration Services server assembly.
const serverAssembly = `Microsoft.SqlServer.IntegrationServices.Server.dll`

// AssemblyPath is where setup puts the Integration Services server assembly of a
// SQL Server major version (14, 15, 16) with the default shared-features folder.
func AssemblyPath(major int) string {
	return binnDir(versionFolder(major)) + `\` + serverAssembly
}

// assemblyPath is the IS server assembly of the version installed on n ("" without
// IS): under n's shared-features folder, which may be on another drive.
func assemblyPath(n *Node) string {
	if v := n.Installed["IS"]; v != "" {
		return dtsBinn(n, versionFolder(majorOf(v))) + `\` + serverAssembly
	}
	return ""
}

func assemblyGrant() string { return grantKey("UNSAFE ASSEMBLY", "", AssemblyLogin) }

// ensureAssemblyLoading creates what is missing of CLR, the key and its login; it says
// what it created, for undo.
func ensureAssemblyLoading(c *OpContext, path string) (clrWasEnabled, keyCreated, loginCreated bool) {
	in := c.Node.SQL
	clrWasEnabled = in.CLREnabled
	in.CLREnabled = true
	if in.AsymmetricKeys[AssemblyKey] == "" {
		in.AsymmetricKeys[AssemblyKey] = path
		keyCreated = true
	}
	if in.Logins[strings.ToLower(AssemblyLogin)] == nil {
		in.Logins[strings.ToLower(AssemblyLogin)] = &Login{Name: AssemblyLogin, Type: "ASYMMETRIC_KEY_MAPPED_LOGIN", SID: fmt.Sprintf("0x%032X", c.nextSeq())}
		loginCreated = true
	}
	in.Grants[assemblyGrant()] = true
	return clrWasEnabled, keyCreated, loginCreated
}

func dropAssemblyLoading(in *Instance) {
	delete(in.Grants, assemblyGrant())
	delete(in.Logins, strings.ToLower(AssemblyLogin))
	delete(in.AsymmetricKeys, AssemblyKey)
}

// clrProblem is the error a catalog operation using SSISDB's CLR code raises on in, or nil.
func clrProblem(in *Instance) *SQLError {
	if !in.CLREnabled {
		return &SQLError{Number: 6263, State: 1, Class: 16, Message: `Execution of user code in the .NET Framework is disabled. Enable "clr enabled" configuration option.`}
	}
	l := in.Logins[strings.ToLower(AssemblyLogin)]
	if in.AsymmetricKeys[AssemblyKey] == "" || l == nil || !in.Grants[assemblyGrant()] {
		return &SQLError{Number: 10314, State: 11, Class: 16, Message: "An error occurred in the Microsoft .NET Framework while trying to load assembly id 65536. The server may be running out of resources, or the assembly may not be trusted. Run the query again, or check documentation to see how to solve the assembly trust issues."}
	}
	return nil
}

// StartExecution starts a package execution on the catalog where it is read-write now,
// run by a Scale Out worker, as catalog.create_execution and catalog.start_execution
// do; it fails as they do where SSISDB's CLR code cannot run.
func (e *Estate) StartExecution() (int64, error) {
	h := &healthCheck{e: e}
	n, db := h.catalogNode()
	if db == nil {
		return 0, SQLErrorf(911, "Database 'SSISDB' does not exist. Make sure that the name is entered correctly.")
	}
	if err := clrProblem(n.SQL); err != nil {
		return 0, err
	}
	id := int64(len(db.Catalog.Executions) + 1)
	db.Catalog.Executions = append(db.Catalog.Executions, &Execution{ID: id, Status: ExecRunning, ScaleOut: true})
	return id, nil
}

// clrOps adds the operations of this file to t.
func clrOps(t *Operations) {
	t.AddSQL("sql.clr.assembly.ensure", sqlCLRAssemblyEnsure)
	t.AddSQL("sql.clr.assembly.drop", sqlCLRAssemblyDrop)
}

// sqlCLRAssemblyEnsure: sp_configure 'clr enabled', 1; CREATE ASYMMETRIC KEY … FROM
// EXECUTABLE FILE = @AssemblyPath; CREATE LOGIN … FROM ASYMMETRIC KEY; GRANT UNSAFE
// ASSEMBLY; each only when missing.
func sqlCLRAssemblyEnsure(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	path := p.String("AssemblyPath")
	if c.Node.SQL.AsymmetricKeys[AssemblyKey] == "" {
		if _, ok := c.Node.File(path); !ok && !strings.EqualFold(path, assemblyPath(c.Node)) {
			return nil, SQLErrorf(15208, "The certificate, asymmetric key, or private key file is not valid or does not exist; or you do not have permissions for it.")
		}
	}
	clr, key, login := ensureAssemblyLoading(c, path)
	return resultRow([]string{"clr_was_enabled", "key_created", "login_created"}, bit(clr), bit(key), bit(login)), nil
}

func sqlCLRAssemblyDrop(c *OpContext, p Params) (*script.ResultSet, error) {
	if err := requireSysadmin(c); err != nil {
		return nil, err
	}
	in := c.Node.SQL
	if p.Bool("DropLogin") {
		delete(in.Grants, assemblyGrant())
		delete(in.Logins, strings.ToLower(AssemblyLogin))
	}
	if p.Bool("DropKey") {
		delete(in.AsymmetricKeys, AssemblyKey)
	}
	if p.Bool("DisableClr") {
		in.CLREnabled = false
	}
	return nil, nil
}
