# ssisha-op: win.address.check
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"addresses":["10.0.0.40"]}'
$clusterName = ''
$ownedNames = @{}
$ownedAddresses = @{}
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) {
    $cl = Get-Cluster -ErrorAction SilentlyContinue
    if ($cl) {
        $clusterName = $cl.Name
        foreach ($res in Get-ClusterResource -ErrorAction SilentlyContinue) {
            $owner = if ($res.OwnerGroup.Name -eq 'Cluster Group') { 'cluster' } else { 'role:' + $res.OwnerGroup.Name }
            if ($res.ResourceType.Name -eq 'Network Name') {
                $dns = ($res | Get-ClusterParameter -Name DnsName -ErrorAction SilentlyContinue).Value
                if ($dns) { $ownedNames[$dns.ToLowerInvariant()] = $owner }
            } elseif ($res.ResourceType.Name -eq 'IP Address') {
                $ip = ($res | Get-ClusterParameter -Name Address -ErrorAction SilentlyContinue).Value
                if ($ip) { $ownedAddresses[$ip] = $owner }
            }
        }
    }
}
$local = @(Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue | ForEach-Object { $_.IPAddress })
$out = foreach ($a in @($p.addresses)) {
    $owner = ''
    if ($ownedAddresses.ContainsKey($a)) { $owner = $ownedAddresses[$a] }
    elseif ($local -contains $a) { $owner = 'node:' + $env:COMPUTERNAME }
    $answers = Test-Connection -ComputerName $a -Count 2 -Quiet -ErrorAction SilentlyContinue
    $arp = Get-NetNeighbor -IPAddress $a -ErrorAction SilentlyContinue | Where-Object { $_.State -in 'Reachable', 'Stale', 'Permanent' }
    [pscustomobject]@{ address = $a; inUse = [bool]($answers -or $arp -or $owner); owner = $owner }
}
$r = [pscustomobject]@{ addresses = @($out) }
$r | ConvertTo-Json -Compress -Depth 5
