# ssisha-op: win.name.check
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"names":["SSISCL","ssislsn","ssismaster.contoso.com"]}'
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
$out = foreach ($n in @($p.names)) {
    $short = ($n -split '\.')[0]
    $addrs = @(Resolve-DnsName -Name $n -Type A -DnsOnly -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
    $ad = $null; $adChecked = $true; $notChecked = ''
    try {
        $s = [adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + $short + '$))')
        $ad = [bool]$s.FindOne()
    } catch {
        # Without delegation the session cannot query a domain controller (the
        # second hop): that is not an answer, and is reported as such.
        $adChecked = $false; $notChecked = $_.Exception.Message
    }
    $owner = ''
    if ($ownedNames.ContainsKey($short.ToLowerInvariant())) { $owner = $ownedNames[$short.ToLowerInvariant()] }
    [pscustomobject]@{
        name       = $n
        inDns      = $addrs.Count -gt 0
        addresses  = $addrs
        adComputer = $ad
        adChecked  = $adChecked
        notChecked = $notChecked
        owner      = $owner
    }
}
$r = [pscustomobject]@{ cluster = $clusterName; names = @($out) }
$r | ConvertTo-Json -Compress -Depth 5
