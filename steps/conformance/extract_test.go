package conformance

import (
	"reflect"
	"sort"
	"strings"
	"testing"
)

// The extraction's own tests: what it reads from small scripts, and that the check
// fails on each kind of name the documentation does not have.

func callsOf(src string) []string {
	var out []string
	for _, c := range scanPowerShell(src).Calls {
		out = append(out, c.Name+"("+strings.Join(c.Params, ",")+")")
	}
	return out
}

func TestScanPowerShellFindsCommandsAndParameters(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"pipeline", "Get-Service -Name x | Where-Object { $_.Status -eq 'Running' } | Select-Object -First 1",
			[]string{"Get-Service(Name)", "Where-Object()", "Select-Object(First)"}},
		{"operators inside a group are not parameters", "if (-not (Get-Command Foo -ErrorAction SilentlyContinue)) { throw 'x' }",
			[]string{"Get-Command(ErrorAction)"}},
		{"assignment and member access", "$x = Get-Item -LiteralPath 'a'\n$y = ($x).Name -join ','",
			[]string{"Get-Item(LiteralPath)"}},
		{"arguments that look like cmdlets", "Install-WindowsFeature Failover-Clustering -IncludeManagementTools",
			[]string{"Install-WindowsFeature(IncludeManagementTools)"}},
		{"strings and comments are not code", "# Remove-Item -Recurse\nWrite-Output 'Remove-Item -Recurse' \"Stop-Service $a\"",
			[]string{"Write-Output()"}},
		{"subexpressions in strings are code", "throw \"failed: $(Get-Date -Format o)\"",
			[]string{"Get-Date(Format)"}},
		{"line continuation", "New-Item -Path a `\n    -Force",
			[]string{"New-Item(Path,Force)"}},
		{"parameter with a colon value", "Remove-Item -LiteralPath $p -Recurse:$false",
			[]string{"Remove-Item(LiteralPath,Recurse)"}},
		{"hashtable keys are not commands", "$r = [pscustomobject]@{ created = $true; path = (Join-Path $a 'b') }",
			[]string{"Join-Path()"}},
		{"splatting", "$s = @{ Name = 'c'; Node = $n }\n$s.StaticAddress = $ip\nNew-Cluster @s -Force",
			[]string{"New-Cluster(Name,Node,StaticAddress,Force)"}},
		{"native command arguments", "netsh http add sslcert ipport=0.0.0.0:1 appid='{1}' certstorename=Root",
			[]string{"netsh()"}},
		{"type literals and static calls", "[void][System.IO.File]::Exists($p)\n[Net.ServicePointManager]::SecurityProtocol = 3",
			nil},
		{"here-string", "$s = @'\nGet-Nothing -At all\n'@\nOut-Null",
			[]string{"Out-Null()"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := callsOf(tc.src); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("calls = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScanPowerShellFunctions(t *testing.T) {
	s := scanPowerShell("function Get-SsishaThing {\n param([string]$A)\n Get-Item $A\n}\nGet-SsishaThing -A x")
	if !s.Functions["get-ssishathing"] {
		t.Errorf("functions = %v, want get-ssishathing", s.Functions)
	}
}

func TestScanTSQLFindsProceduresAndNamedParameters(t *testing.T) {
	src := `/* EXEC not.this */
-- EXEC nor.this
SET NOCOUNT ON;
EXEC msdb.dbo.sp_add_jobstep @job_name = N'j', @step_name = N'EXEC [x].[y] @z = 1',
    @command = N'EXEC [SSISDB].[catalog].[startup] @a = 1;';
IF 1 = 1 EXEC sys.sp_executesql @sql, N'@p int', @p = 1;
EXECUTE @rc = [SSISDB].[catalog].[enable_worker_agent] @WorkerAgentId = @id
SELECT 1;`
	var got []string
	for _, c := range scanTSQL(src) {
		ps := append([]string(nil), c.Params...)
		sort.Strings(ps)
		got = append(got, c.Key+"("+strings.Join(ps, ",")+")")
	}
	want := []string{
		"sp_add_jobstep(command,job_name,step_name)",
		"sp_executesql(p)",
		"catalog.enable_worker_agent(WorkerAgentId)",
		"x.y(z)",
		"catalog.startup(a)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q\nwant %q", got, want)
	}
}

func TestProcKey(t *testing.T) {
	for in, want := range map[string]string{
		"msdb.dbo.sp_add_job":                 "sp_add_job",
		"sys.sp_configure":                    "sp_configure",
		"master..xp_instance_regread":         "xp_instance_regread",
		"SSISDB.catalog.enable_worker_agent":  "catalog.enable_worker_agent",
		"catalog.update_master_address":       "catalog.update_master_address",
		"sp_executesql":                       "sp_executesql",
		"SSISDB.internal.cleanup_server_retn": "internal.cleanup_server_retn",
	} {
		if got := procKey(in); got != want {
			t.Errorf("procKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCheckFailsOnUndocumentedNames feeds the check one mistake of each kind and
// wants each reported with its origin.
func TestCheckFailsOnUndocumentedNames(t *testing.T) {
	c := newChecker(loadCatalog(t), nil)
	ps := script{Origin: "bad.ps1", Kind: kindPowerShell, Text: `# ssisha-op: bad
New-Cluster -Name c -Nodes a,b
Get-Content -Lit x
Get-ClusterThing
robocopy a b
netsh http add sslcert ipport=0.0.0.0:1 certhash=$t appid='{1}' certstore=Root
netsh http add sslcerts ipport=0.0.0.0:1
Get-Content -Path a -LiteralPath b
Test-Path -LiteralPath x -ErrorAction SilentlyContinue -Confirm:$false
$cmd.CommandText = "EXEC msdb.dbo.sp_add_job @job = N'x'; EXEC SSISDB.catalog.no_such_thing"
$argLine = '/Q /ACTION=Install /IACCEPTSQLSERVERLICENSETERMS /NOSUCHSWITCH=1'
`}
	var got []string
	for _, f := range c.check(ps) {
		if f.Origin != "bad.ps1" {
			t.Errorf("finding %v does not name its script", f)
		}
		got = append(got, f.key())
	}
	want := []string{
		"parameter New-Cluster -Nodes",
		"parameter Get-Content -Lit",
		"cmdlet Get-ClusterThing ",
		"command robocopy ",
		"netsh key netsh http add sslcert certstore=",
		"netsh command netsh http add sslcerts ",
		"parameter combination Get-Content -Path -LiteralPath",
		"parameter Test-Path -Confirm",
		"setup switch /NOSUCHSWITCH ",
		"procedure parameter sp_add_job @job",
		"procedure catalog.no_such_thing ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("findings = %q\nwant %q", got, want)
	}
}

func TestAbbreviationHint(t *testing.T) {
	c := newChecker(loadCatalog(t), nil)
	fs := c.check(script{Origin: "x", Kind: kindPowerShell, Text: "Get-Content -Lit x\n"})
	if len(fs) != 1 || !strings.Contains(fs[0].String(), "an abbreviation of -LiteralPath") {
		t.Errorf("findings = %v, want one naming -LiteralPath", fs)
	}
}
