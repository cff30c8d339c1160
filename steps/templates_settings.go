package steps

import "github.com/ssisha/ssisha/remote/script"

// The PowerShell that reads and edits MasterSettings.config and restarts the master
// where it is meant to run. Every edit selects the element by local name anywhere,
// fails on 0 or more than 1 match, backs the file up with a UTC timestamp and writes
// it atomically (temporary file, then rename) keeping its encoding.

// psFindSettings is shared by the settings scripts: the file next to the service
// executable, or the version's default path.
const psFindSettings = `function Find-Settings([string]$service, [string]$file, [string]$default) {
  $svc = Get-CimInstance Win32_Service -Filter ("Name='" + $service.Replace("'", "''") + "'") -ErrorAction SilentlyContinue
  if ($svc -and $svc.PathName) {
    $exe = $svc.PathName.Trim()
    if ($exe.StartsWith('"')) { $exe = $exe.Substring(1, $exe.IndexOf('"', 1) - 1) }
    elseif ($exe -match '^(.+?\.exe)') { $exe = $Matches[1] }
    $candidate = Join-Path (Split-Path -Parent $exe) $file
    if (Test-Path -LiteralPath $candidate) { return $candidate }
  }
  return $default
}
function Get-One([xml]$x, [string]$name) {
  $n = $x.SelectNodes("//*[local-name()='" + $name + "']")
  if ($n.Count -ne 1) { throw "expected 1 $name element, found $($n.Count)" }
  return $n[0]
}`

// psSaveSettings writes an edited document next to the original and swaps it in, so
// a crash never leaves half a file; the original is kept as a timestamped backup.
const psSaveSettings = `function Save-Settings([xml]$x, [string]$path) {
  $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss')
  $backup = "$path.bak-$stamp"
  Copy-Item -LiteralPath $path -Destination $backup -Force
  $tmp = "$path.ssisha-tmp"
  $x.Save($tmp)
  Move-Item -LiteralPath $tmp -Destination $path -Force
  return $backup
}`

func psMasterSettingsRead(service, defaultPath string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.read", ReadOnly: true,
		Params: map[string]any{"service": service, "defaultPath": defaultPath},
		Body: psFindSettings + `
$out = [ordered]@{ installed = $false; found = $false }
$svc = Get-CimInstance Win32_Service -Filter ("Name='" + $p.service.Replace("'", "''") + "'") -ErrorAction SilentlyContinue
if ($svc) {
  $out.installed = $true
  $out.serviceState = [string]$svc.State
  $out.serviceStartMode = [string]$svc.StartMode
  $out.serviceAccount = [string]$svc.StartName
}
$path = Find-Settings $p.service 'MasterSettings.config' $p.defaultPath
$out.path = $path
if (Test-Path -LiteralPath $path) {
  [xml]$x = Get-Content -LiteralPath $path -Raw
  $out.found = $true
  foreach ($k in 'SqlServerName', 'SSLCertThumbprint', 'PortNumber') { $out[$k] = (Get-One $x $k).InnerText }
}
[pscustomobject]$out | ConvertTo-Json -Compress -Depth 5`}
}

func psMasterSettingsSet(path, name, value string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.set", Idempotent: true,
		Params: map[string]any{"path": path, "name": name, "value": value},
		Body: psFindSettings + "\n" + psSaveSettings + `
[xml]$x = Get-Content -LiteralPath $p.path -Raw
$n = Get-One $x $p.name
$prev = $n.InnerText
if ($prev -ceq $p.value) {
  [pscustomobject]@{ previous = $prev; changed = $false; backup = '' } | ConvertTo-Json -Compress -Depth 5
  return
}
$n.InnerText = $p.value
$backup = Save-Settings $x $p.path
[pscustomobject]@{ previous = $prev; changed = $true; backup = $backup } | ConvertTo-Json -Compress -Depth 5`}
}

// psMasterRestart restarts the master only where it runs: through the cluster when it
// is a Generic Service resource owned here (a plain restart would look like a failure
// to the cluster), as a service when it runs unclustered, and not at all elsewhere.
func psMasterRestart(service string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.restart", Idempotent: true,
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

// psMasterCertRead reads the certificate MasterSettings.config names, with its names
// and its public part, which workers import into their Root store.
func psMasterCertRead(service, defaultPath string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.cert.read", ReadOnly: true,
		Params: map[string]any{"service": service, "defaultPath": defaultPath},
		Body: psFindSettings + `
$path = Find-Settings $p.service 'MasterSettings.config' $p.defaultPath
if (-not (Test-Path -LiteralPath $path)) {
  [pscustomobject]@{ found = $false; settingsFound = $false } | ConvertTo-Json -Compress -Depth 5
  return
}
[xml]$x = Get-Content -LiteralPath $path -Raw
$thumb = (Get-One $x 'SSLCertThumbprint').InnerText.Trim().ToUpperInvariant()
$port = (Get-One $x 'PortNumber').InnerText
$cert = Get-ChildItem -Path "Cert:\LocalMachine\Root\$thumb", "Cert:\LocalMachine\My\$thumb" -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $cert) {
  [pscustomobject]@{ found = $false; settingsFound = $true; thumbprint = $thumb; port = $port } | ConvertTo-Json -Compress -Depth 5
  return
}
[pscustomobject]@{
  found = $true; settingsFound = $true; thumbprint = $cert.Thumbprint; port = $port; subject = $cert.Subject
  dnsNames = @($cert.DnsNameList | ForEach-Object { $_.Unicode })
  cer = [Convert]::ToBase64String($cert.RawData)
} | ConvertTo-Json -Compress -Depth 5`}
}
