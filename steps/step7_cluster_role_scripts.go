package steps

// The PowerShell of step 7: the master's Generic Service role.

import "github.com/ssisha/ssisha/remote/script"

func psRoleCreate(name, serviceName, staticAddress string, owners []string, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $g = Get-ClusterGroup -Name $d.name -ErrorAction SilentlyContinue
    $vcoCreated = $false
    if (-not $g) {
        # A computer object of that name that exists now was pre-staged by AD admins
        # (disabled, the cluster's account given full control): the role takes it over,
        # and undo must leave it. The task has the operator's credentials for AD.
        $prestaged = $null
        try { $prestaged = ([adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + $d.name + '$))')).FindOne() } catch { }
        $splat = @{ ServiceName = $d.serviceName; Name = $d.name; StaticAddress = $d.staticAddress; Wait = 120 }
        $g = Add-ClusterGenericServiceRole @splat
        $vcoCreated = -not $prestaged
    }
    # Possible owners are a resource's: on the group, Set-ClusterOwnerNode would set
    # the preferred owners, which restrict nothing.
    if (@($d.possibleOwners).Count -gt 0) {
        Get-ClusterResource | Where-Object { $_.OwnerGroup.Name -eq $g.Name } | Set-ClusterOwnerNode -Owners $d.possibleOwners
    }
    if ([string]$g.State -ne 'Online') { $g = Start-ClusterGroup -Name $d.name -Wait 120 }
    $g = Get-ClusterGroup -Name $d.name
    $result = [pscustomobject]@{ name = $g.Name; state = [string]$g.State; owner = $g.OwnerNode.Name; computerObjectCreated = $vcoCreated }
` + psTaskEpilogue
	return psWinChangeWithin(limitCluster, "cluster.role.create", map[string]any{
		"name": name, "serviceName": serviceName, "staticAddress": staticAddress, "possibleOwners": owners,
		"runAsUser": user, "runAsPassword": password,
	}, psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$data = [pscustomobject]@{ name = $p.name; serviceName = $p.serviceName; staticAddress = $p.staticAddress; possibleOwners = @($p.possibleOwners) }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec `+taskSeconds(limitCluster)+`
$r = [pscustomobject]@{ name = $res.name; state = $res.state; owner = $res.owner; computerObjectCreated = [bool]$res.computerObjectCreated }
`, true)
}

// psRoleRemove removes the role; its network name's computer object is deleted only
// when removeComputerObject (ssisha's role made it), or, when that is not known, when
// AD created it at createdAfter (RFC 3339) or later; else the cluster leaves it
// disabled, as AD admins pre-staged it.
func psRoleRemove(name string, removeComputerObject bool, createdAfter, user string, password script.Secret) script.PowerShell {
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
    if ($d.removeComputerObject -or $d.createdAfter) { try {
        $s = [adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + $d.name + '$))')
        $hit = $s.FindOne()
        if ($hit) {
            $entry = $hit.GetDirectoryEntry()
            $ours = [bool]$d.removeComputerObject
            if (-not $ours) {
                $since = [datetime]::Parse($d.createdAfter, [Globalization.CultureInfo]::InvariantCulture).ToUniversalTime()
                $ours = ([datetime]$entry.Properties['whenCreated'][0]).ToUniversalTime() -ge $since
            }
            if ($ours) { $entry.DeleteTree(); $vco = $true }
        }
    } catch { } }
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
	return psWinChangeWithin(limitCluster, "cluster.role.remove", map[string]any{"name": name, "removeComputerObject": removeComputerObject, "createdAfter": createdAfter, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name; removeComputerObject = [bool]$p.removeComputerObject; createdAfter = [string]$p.createdAfter }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec `+taskSeconds(limitCluster)+`
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed; computerObjectRemoved = [bool]$res.computerObjectRemoved; dnsRecordRemoved = [bool]$res.dnsRecordRemoved }
`, true)
}
