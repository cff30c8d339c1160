# ssisha-op: win.feature.install
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"Failover-Clustering"}'
$res = Install-WindowsFeature -Name $p.name -IncludeManagementTools
if (-not $res.Success) { throw "Install-WindowsFeature $($p.name) did not succeed on $env:COMPUTERNAME (exit code $($res.ExitCode))" }
$r = [pscustomobject]@{
    name          = $p.name
    installState  = [string](Get-WindowsFeature -Name $p.name).InstallState
    restartNeeded = [string]$res.RestartNeeded
}
$r | ConvertTo-Json -Compress -Depth 5
