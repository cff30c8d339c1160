# ssisha-op: master.alwayson.disable
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"serverInstance":"node1.contoso.com"}'
if (-not (Get-Command Disable-SqlAlwaysOn -ErrorAction SilentlyContinue)) {
    Import-Module SqlServer -ErrorAction SilentlyContinue
    if (-not (Get-Command Disable-SqlAlwaysOn -ErrorAction SilentlyContinue)) { throw "the SqlServer PowerShell module is not installed on $env:COMPUTERNAME; run Install-Module SqlServer there and try again" }
}
# This restarts the database engine.
Disable-SqlAlwaysOn -ServerInstance $p.serverInstance -Force
$r = [pscustomobject]@{ serverInstance = $p.serverInstance; hadrEnabled = $false }
$r | ConvertTo-Json -Compress -Depth 5
