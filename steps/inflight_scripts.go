package steps

import "github.com/ssisha/ssisha/remote/script"

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
$r = [pscustomobject]@{ running = @($running) }
`)
}
