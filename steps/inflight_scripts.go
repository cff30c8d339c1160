package steps

import (
	"strings"

	"github.com/ssisha/ssisha/remote/script"
)

// psInflightList finds the operations running on a node the way a person would:
// ssisha's scripts by their process (powershell.exe -EncodedCommand, whose script
// begins with its ssisha-op line; this one excluded), SQL Server setup by its process
// (the action and features of its command line only: the rest may hold a password),
// ssisha's one-shot tasks by their state, and the catalog's restore by the request
// running it on a local instance.
func psInflightList() script.PowerShell {
	return psWinRead("win.inflight.list", nil, `$running = @()
foreach ($pr in @(Get-CimInstance Win32_Process -Filter "Name = 'powershell.exe'" -ErrorAction SilentlyContinue)) {
    if ($pr.ProcessId -eq $PID -or [string]$pr.CommandLine -notmatch '-EncodedCommand\s+(\S+)') { continue }
    try { $text = [Text.Encoding]::Unicode.GetString([Convert]::FromBase64String($Matches[1])) } catch { continue }
    if ($text -match '^\uFEFF?# ssisha-op: (\S+)') {
        $running += [pscustomobject]@{ kind = 'command'; what = "powershell.exe (ssisha-op: $($Matches[1]))"; since = $pr.CreationDate.ToUniversalTime().ToString('o') }
    }
}
foreach ($pr in @(Get-CimInstance Win32_Process -Filter "Name = 'setup.exe'" -ErrorAction SilentlyContinue)) {
    $parts = @([regex]::Matches([string]$pr.CommandLine, '/(ACTION|FEATURES)=[^\s"]+') | ForEach-Object { $_.Value })
    $running += [pscustomobject]@{ kind = 'setup'; what = ('setup.exe ' + ($parts -join ' ')).Trim(); since = $pr.CreationDate.ToUniversalTime().ToString('o') }
}
foreach ($t in @(Get-ScheduledTask -TaskPath '\ssisha\' -ErrorAction SilentlyContinue | Where-Object { $_.State -eq 'Running' })) {
    $info = $t | Get-ScheduledTaskInfo
    $running += [pscustomobject]@{ kind = 'task'; what = ('\ssisha\' + $t.TaskName); since = $info.LastRunTime.ToUniversalTime().ToString('o') }
}
foreach ($svc in @(Get-Service -Name 'MSSQLSERVER', 'MSSQL$*' -ErrorAction SilentlyContinue | Where-Object { $_.Status -eq 'Running' })) {
    $server = if ($svc.Name -eq 'MSSQLSERVER') { '.' } else { '.\' + $svc.Name.Substring(6) }
    $cn = New-Object System.Data.SqlClient.SqlConnection ("Server=$server;Integrated Security=SSPI;Application Name=ssisha")
    try {
        $cn.Open()
        $cmd = $cn.CreateCommand()
        $cmd.CommandText = "SELECT r.start_time FROM sys.dm_exec_requests AS r CROSS APPLY sys.dm_exec_sql_text(r.sql_handle) AS t WHERE r.command LIKE 'RESTORE DATABASE%' AND t.text LIKE '%SSISDB%'"
        $rd = $cmd.ExecuteReader()
        while ($rd.Read()) {
            $running += [pscustomobject]@{ kind = 'restore'; what = 'RESTORE DATABASE SSISDB (catalog creation)'; since = $rd.GetDateTime(0).ToUniversalTime().ToString('o') }
        }
    } catch {
    } finally {
        $cn.Dispose()
    }
}
# The markers the long scripts leave (withInflightMarker): alive while the process
# that wrote one still runs (the same id and start time: ids are reused).
$markers = @()
foreach ($f in @(Get-ChildItem -Path (Join-Path $env:ProgramData 'ssisha\inflight\*.json') -ErrorAction SilentlyContinue)) {
    try { $m = Get-Content -LiteralPath $f.FullName -Raw | ConvertFrom-Json } catch { continue }
    $alive = $false
    $pr = Get-Process -Id ([int]$m.pid) -ErrorAction SilentlyContinue
    if ($pr -and [math]::Abs(($pr.StartTime.ToUniversalTime() - [DateTime]::Parse([string]$m.processStarted, $null, 'RoundtripKind').ToUniversalTime()).TotalSeconds) -lt 2) { $alive = $true }
    $markers += [pscustomobject]@{ file = $f.Name; runId = [string]$m.runId; step = [int]$m.step; action = [string]$m.action; what = [string]$m.what; op = [string]$m.op; started = [string]$m.started; alive = $alive }
}
$r = [pscustomobject]@{ running = @($running); markers = @($markers) }
`)
}

// inflightParam is the parameter through which a long script learns the marker it
// leaves on its node while it runs. It is null in plans and bundles; the engine sets
// it, from the action's intent, just before the action runs (WithInflightMarker).
const inflightParam = "inflight"

// inflightMarkerLine marks a script that leaves a marker; the lab looks for it before
// it models the marker's file, as Windows would only see one written by such a script.
const inflightMarkerLine = "# ssisha-inflight: marker"

// withInflightMarker makes s a long action's script that can be found again: before
// its work it writes a small JSON file under C:\ProgramData\ssisha\inflight (what runs,
// the journal run and action, when it started, its process), in a folder only
// Administrators and SYSTEM may read, and removes it when the work ends, however it
// ends. The file holds no secret. A file whose process is gone (the node restarted)
// is stale: win.inflight.list says so and win.inflight.clear removes it.
func withInflightMarker(s script.PowerShell) script.PowerShell {
	params := make(map[string]any, len(s.Params)+1)
	for k, v := range s.Params {
		params[k] = v
	}
	params[inflightParam] = nil
	s.Params = params
	// The result line stays the script's last, outside the marker's frame.
	body, tail := strings.TrimRight(s.Body, "\n")+"\n", ""
	if strings.HasSuffix(body, psWinResultLine) {
		body, tail = strings.TrimSuffix(body, psWinResultLine), psWinResultLine
	}
	s.Body = inflightMarkerLine + `
$inflightFile = $null
if ($p.inflight) {
    $inflightDir = Join-Path $env:ProgramData 'ssisha\inflight'
    if (-not (Test-Path -LiteralPath $inflightDir)) {
        New-Item -ItemType Directory -Path $inflightDir -Force | Out-Null
        # Administrators and SYSTEM only, not what ProgramData passes on.
        $acl = New-Object System.Security.AccessControl.DirectorySecurity
        $acl.SetAccessRuleProtection($true, $false)
        foreach ($sid in 'S-1-5-32-544', 'S-1-5-18') {
            $id = New-Object System.Security.Principal.SecurityIdentifier $sid
            $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule ($id, 'FullControl', 'ContainerInherit, ObjectInherit', 'None', 'Allow')))
        }
        Set-Acl -LiteralPath $inflightDir -AclObject $acl
    }
    $inflightFile = Join-Path $inflightDir (Split-Path -Leaf $p.inflight.file)
    [pscustomobject]@{
        runId = $p.inflight.runId; step = $p.inflight.step; action = $p.inflight.action; what = $p.inflight.what; op = '` + s.Op + `'
        started = (Get-Date).ToUniversalTime().ToString('o'); pid = $PID
        processStarted = (Get-Process -Id $PID).StartTime.ToUniversalTime().ToString('o')
    } | ConvertTo-Json -Compress | Set-Content -LiteralPath $inflightFile -Encoding UTF8
}
try {
` + strings.TrimRight(body, "\n") + `
} finally {
    if ($inflightFile) { Remove-Item -LiteralPath $inflightFile -Force -ErrorAction SilentlyContinue }
}
` + tail
	return s
}

// psInflightClear removes stale markers, files, of a node: each only when the process
// that wrote it is still gone.
func psInflightClear(files []string) script.PowerShell {
	return psWinChange("win.inflight.clear", map[string]any{"files": files}, `$cleared = @()
$dir = Join-Path $env:ProgramData 'ssisha\inflight'
foreach ($name in @($p.files)) {
    $path = Join-Path $dir (Split-Path -Leaf $name)
    try { $m = Get-Content -LiteralPath $path -Raw -ErrorAction Stop | ConvertFrom-Json } catch { continue }
    $pr = Get-Process -Id ([int]$m.pid) -ErrorAction SilentlyContinue
    if ($pr -and [math]::Abs(($pr.StartTime.ToUniversalTime() - [DateTime]::Parse([string]$m.processStarted, $null, 'RoundtripKind').ToUniversalTime()).TotalSeconds) -lt 2) { continue }
    Remove-Item -LiteralPath $path -Force
    $cleared += $name
}
$r = [pscustomobject]@{ cleared = @($cleared) }
`, true)
}
