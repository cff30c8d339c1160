package steps

// The PowerShell of step 1: the Failover-Clustering feature and the cluster itself.

import "github.com/ssisha/ssisha/remote/script"

func psFeatureGet(name string) script.PowerShell {
	return psWinRead("win.feature.get", map[string]any{"name": name}, `$f = Get-WindowsFeature -Name $p.name
if (-not $f) { throw "Windows feature $($p.name) is not known on $env:COMPUTERNAME; is this Windows Server?" }
$r = [pscustomobject]@{
    name         = $f.Name
    installState = [string]$f.InstallState
    tools        = [string](Get-WindowsFeature -Name 'RSAT-Clustering-PowerShell').InstallState
}
`)
}

func psFeatureInstall(name string) script.PowerShell {
	return psWinChangeWithin(limitFeature, "win.feature.install", map[string]any{"name": name}, `$res = Install-WindowsFeature -Name $p.name -IncludeManagementTools
if (-not $res.Success) { throw "Install-WindowsFeature $($p.name) did not succeed on $env:COMPUTERNAME (exit code $($res.ExitCode))" }
$r = [pscustomobject]@{
    name          = $p.name
    installState  = [string](Get-WindowsFeature -Name $p.name).InstallState
    restartNeeded = [string]$res.RestartNeeded
}
`, true)
}

func psFeatureUninstall(name string) script.PowerShell {
	return psWinChangeWithin(limitFeature, "win.feature.uninstall", map[string]any{"name": name}, `$res = Uninstall-WindowsFeature -Name $p.name -IncludeManagementTools
if (-not $res.Success) { throw "Uninstall-WindowsFeature $($p.name) did not succeed on $env:COMPUTERNAME (exit code $($res.ExitCode))" }
$r = [pscustomobject]@{
    name          = $p.name
    installState  = [string](Get-WindowsFeature -Name $p.name).InstallState
    restartNeeded = [string]$res.RestartNeeded
}
`, true)
}

func psClusterGet(name string) script.PowerShell {
	return psWinRead("cluster.get", map[string]any{"name": name}, `$feature = [string](Get-WindowsFeature -Name Failover-Clustering).InstallState
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
`)
}

func psClusterCreate(name string, nodes []string, staticAddress, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $existing = Get-Cluster -ErrorAction SilentlyContinue
    if ($existing) {
        if ($existing.Name -ne $d.name) { throw "this node already belongs to cluster $($existing.Name)" }
        $result = [pscustomobject]@{ name = $existing.Name; created = $false; report = '' }
    } else {
        # Storage tests are left out: this design uses no shared disks. Test-Cluster
        # does not fail on failed tests; it warns with its overall result ("Test Result:
        # ClusterFailed" and the like). Only a failure stops the creation; warnings are
        # in the report.
        $tcWarnings = @()
        $report = Test-Cluster -Node $d.nodes -Include 'Inventory', 'Network', 'System Configuration' -ReportName (Join-Path $env:ProgramData ('ssisha\cluster-validate-' + (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss'))) -WarningVariable tcWarnings -WarningAction SilentlyContinue
        $failed = @($tcWarnings | Where-Object { [string]$_ -match 'Failed' })
        if ($failed.Count -gt 0) { throw "cluster validation failed ($(([string]$failed[0]).Trim())); New-Cluster was not run. Read the report $($report.FullName) on $env:COMPUTERNAME" }
        $splat = @{ Name = $d.name; Node = $d.nodes; NoStorage = $true; AdministrativeAccessPoint = 'ActiveDirectoryAndDns' }
        if ($d.staticAddress) { $splat.StaticAddress = $d.staticAddress }
        New-Cluster @splat -WarningAction SilentlyContinue | Out-Null
        $result = [pscustomobject]@{ name = $d.name; created = $true; report = [string]$report.FullName }
    }
` + psTaskEpilogue
	return withInflightMarker(psWinChangeWithin(limitClusterCreate, "cluster.create", map[string]any{
		"name": name, "nodes": nodes, "staticAddress": staticAddress,
		"runAsUser": user, "runAsPassword": password,
	}, psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$data = [pscustomobject]@{ name = $p.name; nodes = @($p.nodes); staticAddress = $p.staticAddress }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec `+taskSeconds(limitClusterCreate)+`
$r = [pscustomobject]@{ name = $res.name; created = [bool]$res.created; report = $res.report }
`, true))
}

// psClusterQuorumSet gives the cluster a file share witness, or node majority when
// witness is empty. It runs in the one-shot task as the operator, like New-Cluster:
// the cmdlet may check the share with the caller's credentials, which a WinRM session
// cannot pass on.
func psClusterQuorumSet(name, witness, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $cl = Get-Cluster -ErrorAction SilentlyContinue
    if (-not $cl) {
        $result = [pscustomobject]@{ absent = $true; quorumType = ''; witnessPath = '' }
    } else {
        if ($cl.Name -ne $d.name) { throw "this node belongs to cluster $($cl.Name), not $($d.name)" }
        if ($d.witness) { Set-ClusterQuorum -Cluster $d.name -FileShareWitness $d.witness | Out-Null }
        else { Set-ClusterQuorum -Cluster $d.name -NodeMajority | Out-Null }
        $q = Get-ClusterQuorum -Cluster $d.name
        $path = ''
        if ($q.QuorumResource) { $path = [string](($q.QuorumResource | Get-ClusterParameter -Name SharePath -ErrorAction SilentlyContinue).Value) }
        $result = [pscustomobject]@{ absent = $false; quorumType = [string]$q.QuorumType; witnessPath = $path }
    }
` + psTaskEpilogue
	return psWinChangeWithin(limitCluster, "cluster.quorum.set", map[string]any{"name": name, "witness": witness, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name; witness = $p.witness }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec `+taskSeconds(limitCluster)+`
$r = [pscustomobject]@{ absent = [bool]$res.absent; quorumType = [string]$res.quorumType; witnessPath = [string]$res.witnessPath }
`, true)
}

func psClusterDestroy(name, user string, password script.Secret) script.PowerShell {
	inner := psTaskPrologue + `    $cl = Get-Cluster -ErrorAction SilentlyContinue
    if (-not $cl) {
        $result = [pscustomobject]@{ removed = $false }
    } else {
        if ($cl.Name -ne $d.name) { throw "this node belongs to cluster $($cl.Name), not $($d.name); nothing was removed" }
        $roles = @(Get-ClusterGroup | Where-Object { $_.GroupType -notin 'Cluster', 'AvailableStorage' } | ForEach-Object { $_.Name })
        if ($roles.Count -gt 0) { throw "cluster $($d.name) still hosts roles ($($roles -join ', ')); remove them first" }
        Remove-Cluster -Cluster $d.name -Force -CleanupAD
        $result = [pscustomobject]@{ removed = $true }
    }
` + psTaskEpilogue
	return psWinChangeWithin(limitCluster, "cluster.destroy", map[string]any{"name": name, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec `+taskSeconds(limitCluster)+`
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed }
`, true)
}
