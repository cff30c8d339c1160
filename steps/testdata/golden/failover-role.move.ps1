# ssisha-op: failover.role.move
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"ssismaster","node":"NODE2","serviceName":"SSISScaleOutMaster150","timeoutSec":300}'
if (-not (Get-Command Move-ClusterGroup -ErrorAction SilentlyContinue)) {
    throw "the FailoverClusters module is not installed on $env:COMPUTERNAME; it is not a cluster node (step 1)"
}
if ($env:COMPUTERNAME -ne $p.node) {
    throw "failover.role.move moves the role to the node it runs on; it ran on $env:COMPUTERNAME, not $($p.node)"
}
$g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
if (-not $g) { throw "there is no role $($p.name) in cluster $((Get-Cluster).Name); create it first (step 7)" }
if (-not (Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue)) {
    throw "service $($p.serviceName) is not installed on $($p.node), so role $($p.name) cannot run there; the role was not moved. Install the Scale Out Master on $($p.node) (step 3)."
}
$owners = @(($g | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { $_.Name })
if ($owners.Count -gt 0 -and $owners -notcontains $p.node) {
    throw "$($p.node) is not a possible owner of role $($p.name) (owners: $($owners -join ', ')); the role was not moved. Add it with Set-ClusterOwnerNode."
}
$cn = Get-ClusterNode -Name $p.node -ErrorAction SilentlyContinue
if (-not $cn) { throw "$($p.node) is not a node of cluster $((Get-Cluster).Name); the role was not moved" }
if ([string]$cn.State -ne 'Up') { throw "cluster node $($p.node) is $($cn.State), not Up; the role was not moved" }
$moved = $false
if ($g.OwnerNode.Name -ne $p.node) {
    Move-ClusterGroup -Name $p.name -Node $p.node -Wait $p.timeoutSec | Out-Null
    $moved = $true
} elseif ([string]$g.State -ne 'Online') {
    Start-ClusterGroup -Name $p.name -Wait $p.timeoutSec | Out-Null
}
$g = Get-ClusterGroup -Name $p.name
if ($g.OwnerNode.Name -ne $p.node -or [string]$g.State -ne 'Online') {
    throw "role $($p.name) is $($g.State) on $($g.OwnerNode.Name) after the move to $($p.node); see its critical events in Failover Cluster Manager"
}
$r = [pscustomobject]@{
    name    = $g.Name
    owner   = [string]$g.OwnerNode.Name
    state   = [string]$g.State
    service = [string](Get-Service -Name $p.serviceName).Status
    moved   = $moved
}
$r | ConvertTo-Json -Compress -Depth 5
