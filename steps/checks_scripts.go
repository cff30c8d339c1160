package steps

// The read-only PowerShell of the Windows preflight and the live field checks: a
// node's facts, and whether names, addresses, accounts and hosts are free or known.

import "github.com/ssisha/ssisha/remote/script"

func psNodeFacts(setupMedia string) script.PowerShell {
	return psWinRead("win.node.facts", map[string]any{"setupMedia": setupMedia}, psPendingReboot+`$cs = Get-CimInstance Win32_ComputerSystem
$os = Get-CimInstance Win32_OperatingSystem
$reasons = Get-SsishaRebootReasons
$media = $false
if ($p.setupMedia) { $media = Test-Path -LiteralPath $p.setupMedia -PathType Leaf }
$r = [pscustomobject]@{
    computerName     = $env:COMPUTERNAME
    partOfDomain     = [bool]$cs.PartOfDomain
    domain           = $env:USERDOMAIN
    dnsDomain        = $cs.Domain
    os               = $os.Caption
    osBuild          = $os.BuildNumber
    timeUtc          = (Get-Date).ToUniversalTime().ToString('o')
    pendingReboot    = $reasons.Count -gt 0
    rebootReasons    = @($reasons)
    setupMediaExists = $media
}
`)
}

// psClusterOwnership finds which names and addresses the local cluster already uses,
// so that a check can tell "taken by someone else" from "already ours".
const psClusterOwnership = `$clusterName = ''
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
`

func psNameCheck(names []string) script.PowerShell {
	return psWinRead("win.name.check", map[string]any{"names": names}, psClusterOwnership+`$out = foreach ($n in @($p.names)) {
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
`)
}

func psAddressCheck(addresses []string) script.PowerShell {
	return psWinRead("win.address.check", map[string]any{"addresses": addresses}, psClusterOwnership+`$local = @(Get-NetIPAddress -AddressFamily IPv4 -ErrorAction SilentlyContinue | ForEach-Object { $_.IPAddress })
$out = foreach ($a in @($p.addresses)) {
    $owner = ''
    if ($ownedAddresses.ContainsKey($a)) { $owner = $ownedAddresses[$a] }
    elseif ($local -contains $a) { $owner = 'node:' + $env:COMPUTERNAME }
    $answers = Test-Connection -ComputerName $a -Count 2 -Quiet -ErrorAction SilentlyContinue
    $arp = Get-NetNeighbor -IPAddress $a -ErrorAction SilentlyContinue | Where-Object { $_.State -in 'Reachable', 'Stale', 'Permanent' }
    [pscustomobject]@{ address = $a; inUse = [bool]($answers -or $arp -or $owner); owner = $owner }
}
$r = [pscustomobject]@{ addresses = @($out) }
`)
}

func psAccountCheck(accounts []string) script.PowerShell {
	return psWinRead("win.account.check", map[string]any{"accounts": accounts}, `$out = foreach ($a in @($p.accounts)) {
    $exists = $false; $enabled = $false; $sid = ''; $checked = $true; $notChecked = ''
    try {
        $sid = ([System.Security.Principal.NTAccount]$a).Translate([System.Security.Principal.SecurityIdentifier]).Value
        $exists = $true
    } catch [System.Security.Principal.IdentityNotMappedException] {
        $exists = $false
    } catch {
        $checked = $false; $notChecked = $_.Exception.Message
    }
    if ($exists) {
        $sam = ($a -split '\\')[-1]
        try {
            $u = ([adsisearcher]"(sAMAccountName=$sam)").FindOne()
            if ($u) { $enabled = -not ([int]$u.Properties['useraccountcontrol'][0] -band 2) }
            else { $checked = $false; $notChecked = "the directory search found no account $sam" }
        } catch {
            # Without delegation the session cannot query a domain controller (the
            # second hop): the account's state is then unknown, not enabled.
            $checked = $false; $notChecked = $_.Exception.Message
        }
    }
    [pscustomobject]@{ account = $a; exists = $exists; enabled = $enabled; sid = $sid; checked = $checked; notChecked = $notChecked }
}
$r = [pscustomobject]@{ accounts = @($out) }
`)
}

func psHostCheck(host string, port int) script.PowerShell {
	return psWinRead("win.host.check", map[string]any{"host": host, "port": port}, `$addrs = @(Resolve-DnsName -Name $p.host -Type A -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
$tcp = $false
if ($addrs.Count -gt 0) {
    $tcp = Test-NetConnection -ComputerName $p.host -Port $p.port -InformationLevel Quiet -WarningAction SilentlyContinue
}
$r = [pscustomobject]@{ host = $p.host; resolved = $addrs.Count -gt 0; addresses = $addrs; port = $p.port; tcp = [bool]$tcp }
`)
}
