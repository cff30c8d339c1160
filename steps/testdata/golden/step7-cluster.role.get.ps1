# ssisha-op: cluster.role.get
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"ssismaster","serviceName":"SSISScaleOutMaster150"}'
$cl = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $cl = Get-Cluster -ErrorAction SilentlyContinue }
$group = $null; $services = @(); $dnsName = ''; $addresses = @(); $owners = @()
if ($cl) {
    $services = @(Get-ClusterResource | Where-Object { $_.ResourceType.Name -eq 'Generic Service' } |
        Where-Object { ($_ | Get-ClusterParameter -Name ServiceName).Value -eq $p.serviceName } |
        ForEach-Object { [pscustomobject]@{ name = $_.Name; group = $_.OwnerGroup.Name; state = [string]$_.State } })
    $g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
    if ($g) {
        $res = @(Get-ClusterResource | Where-Object { $_.OwnerGroup.Name -eq $g.Name })
        $nn = $res | Where-Object { $_.ResourceType.Name -eq 'Network Name' } | Select-Object -First 1
        if ($nn) { $dnsName = ($nn | Get-ClusterParameter -Name DnsName).Value }
        $addresses = @($res | Where-Object { $_.ResourceType.Name -eq 'IP Address' } | ForEach-Object { ($_ | Get-ClusterParameter -Name Address).Value })
        # The possible owners of the role's service resource (the group's own owner list
        # is the preferred owners).
        $svcRes = $res | Where-Object { $_.ResourceType.Name -eq 'Generic Service' } | Select-Object -First 1
        if ($svcRes) { $owners = @(($svcRes | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { $_.Name }) }
        $group = [pscustomobject]@{ name = $g.Name; state = [string]$g.State; owner = $g.OwnerNode.Name }
    }
}
$capAddrs = @(Resolve-DnsName -Name $p.name -Type A -DnsOnly -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
$r = [pscustomobject]@{
    clusterExists  = [bool]$cl
    group          = $group
    services       = $services
    dnsName        = $dnsName
    addresses      = $addresses
    possibleOwners = $owners
    capInDns       = $capAddrs.Count -gt 0
    capAddresses   = $capAddrs
}
$r | ConvertTo-Json -Compress -Depth 5
