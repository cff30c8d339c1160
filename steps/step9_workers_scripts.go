package steps

// The scripts of step 9: what Scale Out Manager does for a worker, done on the worker,
// on every master node and in SSISDB.

import "github.com/ssisha/ssisha/remote/script"

func tsqlWorkerGet(agentID string) script.TSQL {
	return script.TSQL{Op: "ssisdb.worker.get", ReadOnly: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `SELECT CONVERT(nvarchar(36), WorkerAgentId) AS WorkerAgentId, MachineName, CAST(IsEnabled AS int) AS IsEnabled,
       CONVERT(nvarchar(40), LastOnlineTime, 127) AS LastOnlineTime, UserAccount
FROM SSISDB.catalog.worker_agents WHERE WorkerAgentId = TRY_CONVERT(uniqueidentifier, @AgentId);`}
}

func tsqlWorkerCall(op, proc, agentID string) script.TSQL {
	return script.TSQL{Op: op, Idempotent: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `DECLARE @id uniqueidentifier = TRY_CONVERT(uniqueidentifier, @AgentId);
EXEC SSISDB.catalog.` + proc + ` @WorkerAgentId = @id;`}
}

func tsqlWorkerEnable(agentID string) script.TSQL {
	return tsqlWorkerCall("ssisdb.worker.enable", "enable_worker_agent", agentID)
}

func tsqlWorkerDisable(agentID string) script.TSQL {
	return tsqlWorkerCall("ssisdb.worker.disable", "disable_worker_agent", agentID)
}

func tsqlWorkerDelete(agentID string) script.TSQL {
	return script.TSQL{Op: "ssisdb.worker.delete", Idempotent: true,
		Params: []script.Param{{Name: "AgentId", Value: agentID}},
		Text: `DECLARE @id uniqueidentifier = TRY_CONVERT(uniqueidentifier, @AgentId);
IF EXISTS (SELECT 1 FROM SSISDB.catalog.worker_agents WHERE WorkerAgentId = @id)
    EXEC SSISDB.catalog.delete_worker_agent @WorkerAgentId = @id;`}
}

// psWorkerFacts reads the worker on a node. Its settings file is the one next to the
// service's executable, else the one in the DTS\Binn folder the registry names.
func psWorkerFacts(service, masterThumbprint, folder string) script.PowerShell {
	return script.PowerShell{Op: "worker.facts", ReadOnly: true,
		Params: map[string]any{"service": service, "masterThumbprint": masterThumbprint, "folder": folder},
		Body: psFindSettings + "\n" + psPendingReboot + psDTSBinn + `
$out = [ordered]@{ installed = $false; settingsFound = $false }
# Integration Services of this version, with or without the worker: undo removes it only
# where the worker's install brought it.
$out.isInstalled = [bool](Get-ItemProperty -Path "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$($p.folder)\SSIS\Setup\DTSPath" -ErrorAction SilentlyContinue)
$out.rebootReasons = @(Get-SsishaRebootReasons)
$svc = Get-CimInstance Win32_Service -Filter ("Name='" + $p.service.Replace("'", "''") + "'") -ErrorAction SilentlyContinue
if ($svc) {
  $out.installed = $true
  $out.serviceState = [string]$svc.State
  $out.serviceAccount = [string]$svc.StartName
  $out.serviceStartMode = [string]$svc.StartMode
}
$path = Find-Settings $p.service 'WorkerSettings.config' (Join-Path (Get-SsishaDtsBinn -Folder $p.folder).path 'WorkerSettings.config')
$out.path = $path
if (Test-Path -LiteralPath $path) {
  $s = Read-Settings $path
  $out.settingsFound = $true
  $out.format = $s.Format
  foreach ($k in 'MasterEndpoint', 'MasterHttpsCertThumbprint', 'WorkerHttpsCertThumbprint', 'AgentId', 'DisplayName') {
    $out[$k] = Get-Setting $s $k
  }
  $wc = Get-Item -LiteralPath ("Cert:\LocalMachine\My\" + $out.WorkerHttpsCertThumbprint.Trim()) -ErrorAction SilentlyContinue
  if ($wc) { $out.workerCertInMy = $true; $out.workerCertHasKey = [bool]$wc.HasPrivateKey }
}
if ($p.masterThumbprint) {
  $out.masterCertInRoot = Test-Path -LiteralPath ("Cert:\LocalMachine\Root\" + $p.masterThumbprint)
}
[pscustomobject]$out | ConvertTo-Json -Compress -Depth 5`}
}

// psWorkerInstall runs SQL Server setup for the worker feature. The account password
// reaches setup.exe through a variable, never through a logged command line.
func psWorkerInstall(setupPath, account string, password script.Secret, masterEndpoint, masterThumbprint, service, folder, version string) script.PowerShell {
	return withInflightMarker(script.PowerShell{Op: "worker.install", Timeout: limitSetup,
		Params: map[string]any{"setupPath": setupPath, "account": account, "password": password, "masterEndpoint": masterEndpoint,
			"masterThumbprint": masterThumbprint, "service": service, "folder": folder, "version": version},
		Body: psFindSettings + "\n" + psDTSBinn + psSetupSummary + `
if (Get-Service -Name $p.service -ErrorAction SilentlyContinue) {
  [pscustomobject]@{ installed = $false; exitCode = 0 } | ConvertTo-Json -Compress -Depth 5
  return
}
# Setup splits its command line as the C runtime does, where backslashes before a
# quote escape it: the trailing backslashes of a quoted value are doubled so its
# closing quote stays one.
$pw = $p.password -replace '(\\+)$', '$1$1'
$setupArgs = @('/Q', '/ACTION=Install', '/IACCEPTSQLSERVERLICENSETERMS', '/SUPPRESSPRIVACYSTATEMENTNOTICE', '/FEATURES=IS,IS_Worker',
  ('/ISWORKERSVCACCOUNT="' + $p.account + '"'), ('/ISWORKERSVCPASSWORD="' + $pw + '"'),
  '/ISWORKERSVCSTARTUPTYPE=Automatic', ('/ISWORKERSVCMASTER="' + $p.masterEndpoint + '"'))
$proc = Start-Process -FilePath $p.setupPath -ArgumentList $setupArgs -Wait -PassThru -NoNewWindow
if ($proc.ExitCode -ne 0 -and $proc.ExitCode -ne 3010) {
  $summary = Get-SsishaSetupSummary -Folder $p.folder
  throw "SQL Server setup failed on $env:COMPUTERNAME with exit code $($proc.ExitCode). $($summary.message) See $($summary.path)"
}
# Next to the service, else where the registry now says setup put Integration Services.
$s = Read-Settings (Find-Settings $p.service 'WorkerSettings.config' (Join-Path (Get-SsishaDtsBinn -Folder $p.folder).path 'WorkerSettings.config'))
[pscustomobject]@{
  installed = $true; exitCode = $proc.ExitCode
  thumbprint = Get-Setting $s 'WorkerHttpsCertThumbprint'
  agentId = Get-Setting $s 'AgentId'
} | ConvertTo-Json -Compress -Depth 5`})
}

func psWorkerUninstall(setupPath, service, folder string, removeIS bool) script.PowerShell {
	return script.PowerShell{Op: "worker.uninstall", Timeout: limitSetup,
		Params: map[string]any{"setupPath": setupPath, "service": service, "folder": folder, "removeIS": removeIS},
		Body: `if (-not (Get-Service -Name $p.service -ErrorAction SilentlyContinue)) {
  [pscustomobject]@{ removed = $false } | ConvertTo-Json -Compress -Depth 5
  return
}
$features = if ($p.removeIS) { 'IS_Worker,IS' } else { 'IS_Worker' }
$proc = Start-Process -FilePath $p.setupPath -ArgumentList @('/Q', '/ACTION=Uninstall', ('/FEATURES=' + $features)) -Wait -PassThru -NoNewWindow
if ($proc.ExitCode -ne 0 -and $proc.ExitCode -ne 3010) { throw "SQL Server setup failed to uninstall the worker (exit code $($proc.ExitCode))." }
[pscustomobject]@{ removed = $true } | ConvertTo-Json -Compress -Depth 5`}
}

// psCertImport adds a certificate's public part to a LocalMachine store.
func psCertImport(store, cer string) script.PowerShell {
	return script.PowerShell{Op: "worker.cert.import", Idempotent: true,
		Params: map[string]any{"store": store, "cer": cer},
		Body: `$cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 (,[Convert]::FromBase64String($p.cer))
$st = New-Object System.Security.Cryptography.X509Certificates.X509Store ($p.store, 'LocalMachine')
$st.Open('ReadWrite')
try {
  $added = -not ($st.Certificates | Where-Object { $_.Thumbprint -eq $cert.Thumbprint })
  if ($added) { $st.Add($cert) }
} finally { $st.Close() }
[pscustomobject]@{ thumbprint = $cert.Thumbprint; added = $added } | ConvertTo-Json -Compress -Depth 5`}
}

func psCertRemove(store, thumbprint string) script.PowerShell {
	return script.PowerShell{Op: "worker.cert.remove", Idempotent: true,
		Params: map[string]any{"store": store, "thumbprint": thumbprint},
		Body: `$path = "Cert:\LocalMachine\$($p.store)\$($p.thumbprint)"
$had = Test-Path -LiteralPath $path
if ($had) { Remove-Item -LiteralPath $path }
[pscustomobject]@{ removed = $had } | ConvertTo-Json -Compress -Depth 5`}
}

func psCertExport(thumbprint string) script.PowerShell {
	return script.PowerShell{Op: "worker.cert.export", ReadOnly: true,
		Params: map[string]any{"thumbprint": thumbprint},
		Body: `$cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) {
  [pscustomobject]@{ found = $false } | ConvertTo-Json -Compress -Depth 5
  return
}
[pscustomobject]@{ found = $true; hasPrivateKey = [bool]$cert.HasPrivateKey; cer = [Convert]::ToBase64String($cert.RawData) } | ConvertTo-Json -Compress -Depth 5`}
}

func psCertCheck(store, thumbprint string) script.PowerShell {
	return script.PowerShell{Op: "worker.cert.check", ReadOnly: true,
		Params: map[string]any{"store": store, "thumbprint": thumbprint},
		Body:   `[pscustomobject]@{ present = (Test-Path -LiteralPath "Cert:\LocalMachine\$($p.store)\$($p.thumbprint)") } | ConvertTo-Json -Compress -Depth 5`}
}

// psWorkerSettingsSet changes several elements of WorkerSettings.config in one write.
func psWorkerSettingsSet(service, path string, values map[string]any) script.PowerShell {
	return script.PowerShell{Op: "worker.settings.set", Idempotent: true,
		Params: map[string]any{"service": service, "path": path, "values": values},
		Body: psFindSettings + `
# The file next to the worker service's executable: where setup put it, which the path
# planned before the install may not know.
$s = Read-Settings (Find-Settings $p.service 'WorkerSettings.config' $p.path)
$prev = [ordered]@{}
$changed = $false
foreach ($k in ($p.values.PSObject.Properties.Name | Sort-Object)) {
  $prev[$k] = Get-Setting $s $k
  if ($prev[$k] -cne $p.values.$k) { Set-Setting $s $k $p.values.$k; $changed = $true }
}
$backup = ''
if ($changed) { $backup = Save-Settings $s }
[pscustomobject]@{ previous = $prev; changed = $changed; backup = $backup } | ConvertTo-Json -Compress -Depth 5`}
}

func psWorkerRestart(service string) script.PowerShell {
	return script.PowerShell{Op: "worker.service.restart", Timeout: limitServiceRestart, Idempotent: true,
		Params: map[string]any{"service": service},
		Body: `Restart-Service -Name $p.service -Force
(Get-Service -Name $p.service).WaitForStatus('Running', [TimeSpan]::FromSeconds(120))
[pscustomobject]@{ state = 'Running' } | ConvertTo-Json -Compress -Depth 5`}
}
