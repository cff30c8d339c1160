# ssisha-op: failover.role.owner
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"ssismaster","serviceName":"SSISScaleOutMaster150"}'
if (-not (Get-Command Get-ClusterGroup -ErrorAction SilentlyContinue)) {
    throw "the FailoverClusters module is not installed on $env:COMPUTERNAME; it is not a cluster node (step 1)"
}
$g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
$svc = Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue
$r = [pscustomobject]@{
    node    = $env:COMPUTERNAME
    exists  = [bool]$g
    owner   = if ($g) { [string]$g.OwnerNode.Name } else { '' }
    state   = if ($g) { [string]$g.State } else { '' }
    service = if ($svc) { [string]$svc.Status } else { '' }
}
$r | ConvertTo-Json -Compress -Depth 5
