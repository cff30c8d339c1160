package steps

// The PowerShell of step 5: editing MasterSettings.config and restarting the master.

import "github.com/ssisha/ssisha/remote/script"

func psMasterSettingsSet(path, name, value string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.set", Idempotent: true,
		Params: map[string]any{"path": path, "name": name, "value": value},
		Body: psSettingsFile + `
$s = Read-Settings $p.path
$prev = Get-Setting $s $p.name
if ($prev -ceq $p.value) {
  [pscustomobject]@{ previous = $prev; changed = $false; backup = '' } | ConvertTo-Json -Compress -Depth 5
  return
}
Set-Setting $s $p.name $p.value
$backup = Save-Settings $s
[pscustomobject]@{ previous = $prev; changed = $true; backup = $backup } | ConvertTo-Json -Compress -Depth 5`}
}

// psMasterRestart restarts the master only where it runs: through the cluster when it
// is a Generic Service resource owned here (a plain restart would look like a failure
// to the cluster), as a service when it runs unclustered, and not at all elsewhere.
func psMasterRestart(service string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.restart", Timeout: limitServiceRestart, Idempotent: true,
		Params: map[string]any{"service": service},
		Body: `$res = $null
if (Get-Command Get-ClusterResource -ErrorAction SilentlyContinue) {
  $res = Get-ClusterResource -ErrorAction SilentlyContinue | Where-Object { $_.ResourceType.Name -eq 'Generic Service' } |
    Where-Object { ($_ | Get-ClusterParameter -Name ServiceName).Value -eq $p.service } | Select-Object -First 1
}
if ($res) {
  if ($res.OwnerNode.Name -ne $env:COMPUTERNAME) {
    [pscustomobject]@{ restarted = $false; via = 'none' } | ConvertTo-Json -Compress -Depth 5
    return
  }
  Stop-ClusterResource -InputObject $res | Out-Null
  Start-ClusterResource -InputObject $res -Wait 120 | Out-Null
  [pscustomobject]@{ restarted = $true; via = 'cluster' } | ConvertTo-Json -Compress -Depth 5
  return
}
$svc = Get-Service -Name $p.service
if ($svc.Status -ne 'Running') {
  [pscustomobject]@{ restarted = $false; via = 'none' } | ConvertTo-Json -Compress -Depth 5
  return
}
Restart-Service -Name $p.service -Force
(Get-Service -Name $p.service).WaitForStatus('Running', [TimeSpan]::FromSeconds(120))
[pscustomobject]@{ restarted = $true; via = 'service' } | ConvertTo-Json -Compress -Depth 5`}
}
