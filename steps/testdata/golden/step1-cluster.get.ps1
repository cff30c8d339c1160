# ssisha-op: cluster.get
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"SSISCL"}'
$feature = [string](Get-WindowsFeature -Name Failover-Clustering).InstallState
$cl = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $cl = Get-Cluster -ErrorAction SilentlyContinue }
$nodes = @(); $groups = @(); $quorum = ''; $witness = ''; $witnessPath = ''; $address = ''
if ($cl) {
    $nodes = @(Get-ClusterNode | ForEach-Object { [pscustomobject]@{ name = $_.Name; state = [string]$_.State } })
    $groups = @(Get-ClusterGroup | Where-Object { $_.GroupType -notin 'Cluster', 'AvailableStorage' } | ForEach-Object { $_.Name })
    $q = Get-ClusterQuorum
    $quorum = [string]$q.QuorumType
    if ($q.QuorumResource) {
        $witness = $q.QuorumResource.Name
        $witnessPath = [string](($q.QuorumResource | Get-ClusterParameter -Name SharePath -ErrorAction SilentlyContinue).Value)
    }
    $ipRes = Get-ClusterResource -Name 'Cluster IP Address' -ErrorAction SilentlyContinue
    if ($ipRes) { $address = ($ipRes | Get-ClusterParameter -Name Address).Value }
}
$nameAddrs = @(Resolve-DnsName -Name $p.name -Type A -DnsOnly -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
$r = [pscustomobject]@{
    feature       = $feature
    exists        = [bool]$cl
    name          = if ($cl) { $cl.Name } else { '' }
    address       = $address
    nodes         = $nodes
    groups        = $groups
    quorumType    = $quorum
    witness       = $witness
    witnessPath   = $witnessPath
    nameInDns     = $nameAddrs.Count -gt 0
    nameAddresses = $nameAddrs
}
$r | ConvertTo-Json -Compress -Depth 5
