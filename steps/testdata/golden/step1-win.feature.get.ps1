# ssisha-op: win.feature.get
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"Failover-Clustering"}'
$f = Get-WindowsFeature -Name $p.name
if (-not $f) { throw "Windows feature $($p.name) is not known on $env:COMPUTERNAME; is this Windows Server?" }
$r = [pscustomobject]@{
    name         = $f.Name
    installState = [string]$f.InstallState
    tools        = [string](Get-WindowsFeature -Name 'RSAT-Clustering-PowerShell').InstallState
}
$r | ConvertTo-Json -Compress -Depth 5
