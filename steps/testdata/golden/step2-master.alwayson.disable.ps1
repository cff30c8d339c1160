# ssisha-op: master.alwayson.disable
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"agentService":"SQLSERVERAGENT","serverInstance":"node1.contoso.com"}'
if (-not (Get-Command Disable-SqlAlwaysOn -ErrorAction SilentlyContinue)) {
    Import-Module SqlServer -ErrorAction SilentlyContinue
    if (-not (Get-Command Disable-SqlAlwaysOn -ErrorAction SilentlyContinue)) { throw "the SqlServer PowerShell module is not installed on $env:COMPUTERNAME; run Install-Module SqlServer there and try again" }
}
# This restarts the database engine, which stops SQL Server Agent with it and does not
# start it again: note whether the Agent ran, and start it after.
$agent = Get-Service -Name $p.agentService -ErrorAction SilentlyContinue
$agentWasRunning = [bool]($agent -and $agent.Status -eq 'Running')
Disable-SqlAlwaysOn -ServerInstance $p.serverInstance -Force
if ($agentWasRunning) { Start-Service -Name $p.agentService }
$r = [pscustomobject]@{ serverInstance = $p.serverInstance; hadrEnabled = $false; agentWasRunning = $agentWasRunning }
$r | ConvertTo-Json -Compress -Depth 5
