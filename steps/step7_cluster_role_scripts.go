package steps

// The PowerShell of step 7: the master's Generic Service role.

import "github.com/ssisha/ssisha/remote/script"

func psRoleCreate(name, serviceName, staticAddress string, owners []string, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $g = Get-ClusterGroup -Name $d.name -ErrorAction SilentlyContinue
    if (-not $g) {
        $splat = @{ ServiceName = $d.serviceName; Name = $d.name; StaticAddress = $d.staticAddress; Wait = 120 }
        $g = Add-ClusterGenericServiceRole @splat
    }
    if (@($d.owners).Count -gt 0) { $g | Set-ClusterOwnerNode -Owners $d.owners }
    if ([string]$g.State -ne 'Online') { $g = Start-ClusterGroup -Name $d.name -Wait 120 }
    $g = Get-ClusterGroup -Name $d.name
    $result = [pscustomobject]@{ name = $g.Name; state = [string]$g.State; owner = $g.OwnerNode.Name }
` + psTaskEpilogue
	return psWinChangeWithin(limitCluster, "cluster.role.create", map[string]any{
		"name": name, "serviceName": serviceName, "staticAddress": staticAddress, "owners": owners,
		"runAsUser": user, "runAsPassword": password,
	}, psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$data = [pscustomobject]@{ name = $p.name; serviceName = $p.serviceName; staticAddress = $p.staticAddress; owners = @($p.owners) }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 600
$r = [pscustomobject]@{ name = $res.name; state = $res.state; owner = $res.owner }
`, true)
}

func psRoleRemove(name, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $g = Get-ClusterGroup -Name $d.name -ErrorAction SilentlyContinue
    $removed = $false
    if ($g) {
        Stop-ClusterGroup -Name $d.name | Out-Null
        Remove-ClusterGroup -Name $d.name -RemoveResources -Force
        $removed = $true
    }
    # The network name's computer object and DNS record outlive the role and count
    # against the cluster's quota of virtual computer objects.
    $vco = $false
    try {
        $s = [adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + $d.name + '$))')
        $hit = $s.FindOne()
        if ($hit) { $hit.GetDirectoryEntry().DeleteTree(); $vco = $true }
    } catch { }
    $dns = $false
    if (Get-Command Remove-DnsServerResourceRecord -ErrorAction SilentlyContinue) {
        try {
            $zone = (Get-CimInstance Win32_ComputerSystem).Domain
            $server = (Resolve-DnsName -Name $zone -Type NS | Where-Object { $_.NameHost } | Select-Object -First 1).NameHost
            Remove-DnsServerResourceRecord -ComputerName $server -ZoneName $zone -Name $d.name -RRType A -Force
            $dns = $true
        } catch { }
    }
    $result = [pscustomobject]@{ removed = $removed; computerObjectRemoved = $vco; dnsRecordRemoved = $dns }
` + psTaskEpilogue
	return psWinChangeWithin(limitCluster, "cluster.role.remove", map[string]any{"name": name, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 600
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed; computerObjectRemoved = [bool]$res.computerObjectRemoved; dnsRecordRemoved = [bool]$res.dnsRecordRemoved }
`, true)
}
