package steps

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// The Windows and cluster side's PowerShell: every script that steps 1, 2, 3 and 7,
// the Windows preflight checks and the live field checks run. Values come only from
// $p; each script prints one JSON object as its last act.

// psWinResultLine ends every script: one JSON object on stdout.
const psWinResultLine = "$r | ConvertTo-Json -Compress -Depth 5\n"

// psPendingReboot lists why a node waits for a restart, with the checks SQL Server
// setup's own rule makes (CBS, Windows Update, pending file renames, pending rename).
const psPendingReboot = `function Get-SsishaRebootReasons {
    $reasons = @()
    if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending') { $reasons += 'Component Based Servicing' }
    if (Test-Path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired') { $reasons += 'Windows Update' }
    $sm = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Session Manager' -Name PendingFileRenameOperations -ErrorAction SilentlyContinue
    if ($sm -and $sm.PendingFileRenameOperations) { $reasons += 'pending file rename operations' }
    $active = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName').ComputerName
    $pending = (Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName').ComputerName
    if ($active -ne $pending) { $reasons += 'pending computer rename' }
    ,$reasons
}
`

// psRunAsTask runs a script block as the operator in a one-shot scheduled task on the
// node. New-Cluster, Remove-Cluster and Add-ClusterGenericServiceRole create and
// delete computer objects in Active Directory with the caller's credentials, which a
// WinRM session cannot pass on (the second hop). A task that logs on with the
// operator's password holds them first-hand, and needs neither CredSSP on the nodes
// nor delegation in AD. The password is used only by Register-ScheduledTask; the
// task's input file holds no secret and every file is removed afterwards.
const psRunAsTask = `function Invoke-SsishaAsTask {
    param([string]$Inner, [object]$Data, [string]$User, [string]$Password, [int]$TimeoutSec)
    $id = 'ssisha-' + [guid]::NewGuid().ToString('N')
    $dir = Join-Path $env:ProgramData 'ssisha'
    New-Item -ItemType Directory -Path $dir -Force | Out-Null
    $scriptPath = Join-Path $dir "$id.ps1"
    $dataPath = Join-Path $dir "$id.in.json"
    $outPath = Join-Path $dir "$id.out.json"
    try {
        Set-Content -LiteralPath $scriptPath -Value $Inner -Encoding UTF8
        $Data | ConvertTo-Json -Compress -Depth 5 | Set-Content -LiteralPath $dataPath -Encoding UTF8
        $argLine = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}" -DataPath "{1}" -ResultPath "{2}"' -f $scriptPath, $dataPath, $outPath
        $action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument $argLine
        $settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Seconds $TimeoutSec)
        Register-ScheduledTask -TaskName $id -TaskPath '\ssisha\' -Action $action -Settings $settings -User $User -Password $Password -RunLevel Highest | Out-Null
        Start-ScheduledTask -TaskName $id -TaskPath '\ssisha\'
        $deadline = (Get-Date).AddSeconds($TimeoutSec)
        do {
            Start-Sleep -Seconds 2
            $state = (Get-ScheduledTask -TaskName $id -TaskPath '\ssisha\').State
        } while (($state -eq 'Running' -or $state -eq 'Queued' -or -not (Test-Path -LiteralPath $outPath)) -and (Get-Date) -lt $deadline)
        if (-not (Test-Path -LiteralPath $outPath)) {
            throw "the scheduled task $id did not finish within $TimeoutSec seconds; look at Task Scheduler history on $env:COMPUTERNAME"
        }
        $out = Get-Content -LiteralPath $outPath -Raw | ConvertFrom-Json
        if ($out.error) { throw $out.error }
        $out.result
    } finally {
        Unregister-ScheduledTask -TaskName $id -TaskPath '\ssisha\' -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $scriptPath, $dataPath, $outPath -Force -ErrorAction SilentlyContinue
    }
}
`

// psTaskPrologue and psTaskEpilogue wrap the body of a script that runs inside the task.
const psTaskPrologue = `param([string]$DataPath, [string]$ResultPath)
$ErrorActionPreference = 'Stop'
$d = Get-Content -LiteralPath $DataPath -Raw | ConvertFrom-Json
try {
    Import-Module FailoverClusters
`

const psTaskEpilogue = `    @{ result = $result } | ConvertTo-Json -Compress -Depth 5 | Set-Content -LiteralPath $ResultPath -Encoding UTF8
} catch {
    @{ error = $_.Exception.Message } | ConvertTo-Json -Compress | Set-Content -LiteralPath $ResultPath -Encoding UTF8
}
`

// psCertInfoFn describes a certificate the way every cert script reports it.
const psCertInfoFn = `function Get-SsishaCertInfo {
    param($Cert, [string]$Store)
    $exportable = $false
    if ($Cert.HasPrivateKey) {
        try {
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
            if ($key -is [System.Security.Cryptography.RSACng]) {
                $exportable = ($key.Key.ExportPolicy -band [System.Security.Cryptography.CngExportPolicies]::AllowPlaintextExport) -ne 0 -or
                              ($key.Key.ExportPolicy -band [System.Security.Cryptography.CngExportPolicies]::AllowExport) -ne 0
            } elseif ($key -is [System.Security.Cryptography.RSACryptoServiceProvider]) {
                $exportable = $key.CspKeyContainerInfo.Exportable
            }
        } catch { $exportable = $false }
    }
    [pscustomobject]@{
        thumbprint    = $Cert.Thumbprint.ToUpperInvariant()
        store         = $Store
        subject       = $Cert.Subject
        dnsNames      = @($Cert.DnsNameList | ForEach-Object { $_.Unicode })
        friendlyName  = $Cert.FriendlyName
        hasPrivateKey = $Cert.HasPrivateKey
        exportable    = $exportable
        notAfter      = $Cert.NotAfter.ToUniversalTime().ToString('o')
    }
}
`

func psWinRead(op string, params map[string]any, body string) script.PowerShell {
	return script.PowerShell{Op: op, Params: params, Body: body + psWinResultLine, ReadOnly: true, Idempotent: true}
}

func psWinChange(op string, params map[string]any, body string, idempotent bool) script.PowerShell {
	return script.PowerShell{Op: op, Params: params, Body: body + psWinResultLine, Idempotent: idempotent}
}

// --- node facts (preflight) ---

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

// --- Windows features ---

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
	return psWinChange("win.feature.install", map[string]any{"name": name}, `$res = Install-WindowsFeature -Name $p.name -IncludeManagementTools
if (-not $res.Success) { throw "Install-WindowsFeature $($p.name) did not succeed on $env:COMPUTERNAME (exit code $($res.ExitCode))" }
$r = [pscustomobject]@{
    name          = $p.name
    installState  = [string](Get-WindowsFeature -Name $p.name).InstallState
    restartNeeded = [string]$res.RestartNeeded
}
`, true)
}

func psFeatureUninstall(name string) script.PowerShell {
	return psWinChange("win.feature.uninstall", map[string]any{"name": name}, `$res = Uninstall-WindowsFeature -Name $p.name -IncludeManagementTools
if (-not $res.Success) { throw "Uninstall-WindowsFeature $($p.name) did not succeed on $env:COMPUTERNAME (exit code $($res.ExitCode))" }
$r = [pscustomobject]@{
    name          = $p.name
    installState  = [string](Get-WindowsFeature -Name $p.name).InstallState
    restartNeeded = [string]$res.RestartNeeded
}
`, true)
}

// --- firewall ---

func psFirewallAdd(name, display string, port int) script.PowerShell {
	return psWinChange("win.firewall.add", map[string]any{"name": name, "displayName": display, "port": port}, `$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
$created = $false
if (-not $rule) {
    New-NetFirewallRule -Name $p.name -DisplayName $p.displayName -Direction Inbound -Protocol TCP -LocalPort $p.port -Action Allow -Profile Any | Out-Null
    $created = $true
} elseif ($rule.Enabled -ne 'True') {
    Enable-NetFirewallRule -Name $p.name
}
$r = [pscustomobject]@{ name = $p.name; created = $created }
`, true)
}

func psFirewallRemove(name string) script.PowerShell {
	return psWinChange("win.firewall.remove", map[string]any{"name": name}, `$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
if ($rule) { Remove-NetFirewallRule -Name $p.name }
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$rule }
`, true)
}

// --- names, addresses, accounts, hosts (preflight and live field checks) ---

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
    $ad = $null
    try {
        $s = [adsisearcher]('(&(objectCategory=computer)(sAMAccountName=' + $short + '$))')
        $ad = [bool]$s.FindOne()
    } catch { $ad = $null }
    $owner = ''
    if ($ownedNames.ContainsKey($short.ToLowerInvariant())) { $owner = $ownedNames[$short.ToLowerInvariant()] }
    [pscustomobject]@{
        name       = $n
        inDns      = $addrs.Count -gt 0
        addresses  = $addrs
        adComputer = $ad
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
    $exists = $false; $enabled = $false; $sid = ''
    try {
        $sid = ([System.Security.Principal.NTAccount]$a).Translate([System.Security.Principal.SecurityIdentifier]).Value
        $exists = $true
    } catch { $exists = $false }
    if ($exists) {
        $sam = ($a -split '\\')[-1]
        try {
            $u = ([adsisearcher]"(sAMAccountName=$sam)").FindOne()
            if ($u) { $enabled = -not ([int]$u.Properties['useraccountcontrol'][0] -band 2) } else { $enabled = $true }
        } catch { $enabled = $true }
    }
    [pscustomobject]@{ account = $a; exists = $exists; enabled = $enabled; sid = $sid }
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

// --- the failover cluster (step 1) ---

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
        # Storage tests warn without shared disks, which this design does not use;
        # only failures stop the creation.
        $report = Test-Cluster -Node $d.nodes -Include 'Inventory', 'Network', 'System Configuration' -ReportName (Join-Path $env:ProgramData ('ssisha\cluster-validate-' + (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss'))) -WarningAction SilentlyContinue
        $splat = @{ Name = $d.name; Node = $d.nodes; NoStorage = $true; AdministrativeAccessPoint = 'ActiveDirectoryAndDns' }
        if ($d.staticAddress) { $splat.StaticAddress = $d.staticAddress }
        New-Cluster @splat -WarningAction SilentlyContinue | Out-Null
        $result = [pscustomobject]@{ name = $d.name; created = $true; report = [string]$report.FullName }
    }
` + psTaskEpilogue
	return psWinChange("cluster.create", map[string]any{
		"name": name, "nodes": nodes, "staticAddress": staticAddress,
		"runAsUser": user, "runAsPassword": password,
	}, psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$data = [pscustomobject]@{ name = $p.name; nodes = @($p.nodes); staticAddress = $p.staticAddress }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 1800
$r = [pscustomobject]@{ name = $res.name; created = [bool]$res.created; report = $res.report }
`, true)
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
	return psWinChange("cluster.quorum.set", map[string]any{"name": name, "witness": witness, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name; witness = $p.witness }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 900
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
	return psWinChange("cluster.destroy", map[string]any{"name": name, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 900
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed }
`, true)
}

// --- the master's cluster role (step 7) ---

func psRoleGet(name, serviceName string) script.PowerShell {
	return psWinRead("cluster.role.get", map[string]any{"name": name, "serviceName": serviceName}, `$cl = $null
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
        $owners = @(($g | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { $_.Name })
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
`)
}

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
	return psWinChange("cluster.role.create", map[string]any{
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
	return psWinChange("cluster.role.remove", map[string]any{"name": name, "runAsUser": user, "runAsPassword": password},
		psRunAsTask+"$inner = @'\n"+inner+"'@\n"+`$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 600
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed; computerObjectRemoved = [bool]$res.computerObjectRemoved; dnsRecordRemoved = [bool]$res.dnsRecordRemoved }
`, true)
}

// --- the Scale Out Master on a node (steps 2 and 3) ---

// masterProbe are what master.get reads on a node.
type masterProbe struct {
	ServiceName  string
	Folder       string
	SettingsPath string
	Port         int
	FirewallRule string
	SetupMedia   string
	Instance     string
}

func psMasterGet(q masterProbe) script.PowerShell {
	return psWinRead("master.get", map[string]any{
		"serviceName": q.ServiceName, "folder": q.Folder, "settingsPath": q.SettingsPath, "port": q.Port,
		"firewallRule": q.FirewallRule, "setupMedia": q.SetupMedia, "instance": q.Instance,
	}, psPendingReboot+`$root = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server'
$marker = (Get-ItemProperty -Path "$root\$($p.folder)\DTS\Setup\SQL_IS_Master" -Name Version -ErrorAction SilentlyContinue).Version
$isPath = (Get-ItemProperty -Path "$root\$($p.folder)\SSIS\Setup\DTSPath" -ErrorAction SilentlyContinue).'(default)'
$engine = Get-Service -Name $(if ($p.instance -eq 'MSSQLSERVER') { 'MSSQLSERVER' } else { 'MSSQL$' + $p.instance }) -ErrorAction SilentlyContinue
$svc = Get-CimInstance Win32_Service -Filter "Name='$($p.serviceName)'"
$service = $null
$settingsPath = $p.settingsPath
if ($svc) {
    $service = [pscustomobject]@{ name = $svc.Name; startName = $svc.StartName; startMode = $svc.StartMode; state = $svc.State; pathName = $svc.PathName }
    # The settings file sits next to the service executable; that beats the default path.
    $exe = ($svc.PathName -replace '^"([^"]+)".*$', '$1') -replace '^(\S+\.exe).*$', '$1'
    $candidate = Join-Path (Split-Path -Parent $exe) 'MasterSettings.config'
    if (Test-Path -LiteralPath $candidate) { $settingsPath = $candidate }
}
$settings = $null
if (Test-Path -LiteralPath $settingsPath) {
    [xml]$x = Get-Content -LiteralPath $settingsPath -Raw
    $read = { param($n) $m = $x.SelectNodes("//*[local-name()='$n']"); if ($m.Count -eq 1) { $m[0].InnerText } else { $null } }
    $settings = [pscustomobject]@{ path = $settingsPath; portNumber = & $read 'PortNumber'; sslCertThumbprint = & $read 'SSLCertThumbprint'; sqlServerName = & $read 'SqlServerName' }
}
$binding = $null
$show = netsh http show sslcert ipport=0.0.0.0:$($p.port) 2>$null
if ($LASTEXITCODE -eq 0) {
    $hash = ($show | Where-Object { $_ -match 'Certificate Hash\s*:\s*(\S+)' } | Select-Object -First 1) -replace '.*:\s*', ''
    $store = ($show | Where-Object { $_ -match 'Certificate Store Name\s*:\s*(\S+)' } | Select-Object -First 1) -replace '.*:\s*', ''
    if ($hash) { $binding = [pscustomobject]@{ certificateHash = $hash.ToUpperInvariant(); storeName = $store } }
}
$fw = Get-NetFirewallRule -Name $p.firewallRule -ErrorAction SilentlyContinue
$firewall = $null
if ($fw) { $firewall = [pscustomobject]@{ name = $fw.Name; enabled = ($fw.Enabled -eq 'True') } }
$instKey = (Get-ItemProperty -Path "$root\Instance Names\SQL" -Name $p.instance -ErrorAction SilentlyContinue).($p.instance)
$hadr = $false
if ($instKey) { $hadr = [int](Get-ItemProperty -Path "$root\$instKey\MSSQLServer\HADR" -Name HADR_Enabled -ErrorAction SilentlyContinue).HADR_Enabled -eq 1 }
$reasons = Get-SsishaRebootReasons
$r = [pscustomobject]@{
    engineInstalled  = [bool]$engine
    isInstalled      = [bool]$isPath
    masterMarker     = [string]$marker
    service          = $service
    settings         = $settings
    binding          = $binding
    firewall         = $firewall
    hadrEnabled      = $hadr
    pendingReboot    = $reasons.Count -gt 0
    rebootReasons    = @($reasons)
    setupMediaExists = [bool]($p.setupMedia -and (Test-Path -LiteralPath $p.setupMedia -PathType Leaf))
}
`)
}

// masterSetup are the values of a Scale Out Master setup run.
type masterSetup struct {
	SetupPath   string
	Folder      string
	Account     string
	Password    script.Secret
	Port        int
	Thumbprint  string // empty: the certificate found by CertDNSName
	CertDNSName string
	StartupType string // Automatic | Manual
	Features    string // IS,IS_Master or IS_Master
}

// psSetupSummary reads the outcome setup wrote, since its exit code alone says little.
const psSetupSummary = `function Get-SsishaSetupSummary {
    param([string]$Folder)
    $summary = Join-Path $env:ProgramFiles "Microsoft SQL Server\$Folder\Setup Bootstrap\Log\Summary.txt"
    $msg = ''
    if (Test-Path -LiteralPath $summary) {
        $lines = Get-Content -LiteralPath $summary -TotalCount 60
        $msg = (($lines | Where-Object { $_ -match '^\s*(Final result|Exit message):' }) -replace '^\s+', '') -join ' '
    }
    [pscustomobject]@{ path = $summary; message = $msg }
}
`

func psMasterInstall(m masterSetup) script.PowerShell {
	return psWinChange("master.install", map[string]any{
		"setupPath": m.SetupPath, "folder": m.Folder, "account": m.Account, "password": m.Password,
		"port": m.Port, "thumbprint": m.Thumbprint, "certDnsName": m.CertDNSName,
		"startupType": m.StartupType, "features": m.Features,
	}, psPendingReboot+psSetupSummary+`if (-not (Test-Path -LiteralPath $p.setupPath -PathType Leaf)) { throw "SQL Server setup is not at $($p.setupPath) on $env:COMPUTERNAME; copy the installation media to a local disk" }
$reasons = Get-SsishaRebootReasons
if ($reasons.Count -gt 0) { throw "$env:COMPUTERNAME must restart before SQL Server setup can run ($($reasons -join ', '))" }
$thumb = $p.thumbprint
if (-not $thumb) {
    # The certificate ssisha made for the access point: newest first.
    $c = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
    if (-not $c) { throw "no Scale Out Master certificate for $($p.certDnsName) with a private key is in LocalMachine\Root on $env:COMPUTERNAME" }
    $thumb = $c.Thumbprint
}
# The command line is built here and never printed: it carries the password.
$argLine = '/Q /ACTION=Install /IACCEPTSQLSERVERLICENSETERMS /SUPPRESSPRIVACYSTATEMENTNOTICE /INDICATEPROGRESS=False ' +
    ('/FEATURES={0} /ISMASTERSVCACCOUNT="{1}" /ISMASTERSVCPASSWORD="{2}" /ISMASTERSVCSTARTUPTYPE={3} /ISMASTERSVCPORT={4} /ISMASTERSVCTHUMBPRINT="{5}"' -f $p.features, $p.account, $p.password, $p.startupType, $p.port, $thumb)
$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $p.setupPath
$psi.Arguments = $argLine
$psi.UseShellExecute = $false
$psi.WorkingDirectory = Split-Path -Parent $p.setupPath
$proc = [System.Diagnostics.Process]::Start($psi)
$proc.WaitForExit()
$code = $proc.ExitCode
$argLine = $null
$summary = Get-SsishaSetupSummary -Folder $p.folder
if ($code -ne 0 -and $code -ne 3010) {
    throw "SQL Server setup failed on $env:COMPUTERNAME with exit code $code. $($summary.message) See $($summary.path)"
}
$r = [pscustomobject]@{ exitCode = $code; rebootRequired = ($code -eq 3010); thumbprint = $thumb; summary = $summary.message }
`, false)
}

func psMasterUninstall(setupPath, folder, features string, port int) script.PowerShell {
	return psWinChange("master.uninstall", map[string]any{"setupPath": setupPath, "folder": folder, "features": features, "port": port},
		psSetupSummary+`if (-not (Test-Path -LiteralPath $p.setupPath -PathType Leaf)) { throw "SQL Server setup is not at $($p.setupPath) on $env:COMPUTERNAME; copy the installation media to a local disk" }
$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $p.setupPath
$psi.Arguments = '/Q /ACTION=Uninstall /SUPPRESSPRIVACYSTATEMENTNOTICE /FEATURES=' + $p.features
$psi.UseShellExecute = $false
$proc = [System.Diagnostics.Process]::Start($psi)
$proc.WaitForExit()
$code = $proc.ExitCode
$summary = Get-SsishaSetupSummary -Folder $p.folder
if ($code -ne 0 -and $code -ne 3010) { throw "SQL Server setup could not uninstall $($p.features) on $env:COMPUTERNAME (exit code $code). $($summary.message) See $($summary.path)" }
# Uninstall leaves the http.sys binding behind; a later install would collide with it.
netsh http show sslcert ipport=0.0.0.0:$($p.port) *> $null
if ($LASTEXITCODE -eq 0) { netsh http delete sslcert ipport=0.0.0.0:$($p.port) | Out-Null }
$r = [pscustomobject]@{ exitCode = $code; rebootRequired = ($code -eq 3010) }
`, true)
}

func psServiceSet(serviceName, startMode, state string) script.PowerShell {
	return psWinChange("master.service.set", map[string]any{"serviceName": serviceName, "startMode": startMode, "state": state}, `$svc = Get-Service -Name $p.serviceName
Set-Service -Name $p.serviceName -StartupType $p.startMode
if ($p.state -eq 'Stopped' -and $svc.Status -ne 'Stopped') { Stop-Service -Name $p.serviceName -Force }
if ($p.state -eq 'Running' -and $svc.Status -ne 'Running') { Start-Service -Name $p.serviceName }
$c = Get-CimInstance Win32_Service -Filter "Name='$($p.serviceName)'"
$r = [pscustomobject]@{ name = $c.Name; startMode = $c.StartMode; state = $c.State }
`, true)
}

// psMasterCertBind points the master at another certificate: the settings file, the
// http.sys binding, and a restart. An empty thumbprint means the certificate ssisha
// made for certDnsName.
func psMasterCertBind(settingsPath, serviceName, thumbprint, certDNSName string, port int) script.PowerShell {
	return psWinChange("master.cert.bind", map[string]any{"settingsPath": settingsPath, "serviceName": serviceName, "thumbprint": thumbprint, "certDnsName": certDNSName, "port": port}, `if ($p.thumbprint) {
    $cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
} else {
    $cert = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
}
if (-not $cert -or -not $cert.HasPrivateKey) { throw "the master certificate ($($p.thumbprint)$($p.certDnsName)) with its private key is not in LocalMachine\Root on $env:COMPUTERNAME" }
$thumb = $cert.Thumbprint
[xml]$x = Get-Content -LiteralPath $p.settingsPath -Raw
$n = $x.SelectNodes("//*[local-name()='SSLCertThumbprint']")
if ($n.Count -ne 1) { throw "expected 1 SSLCertThumbprint element in $($p.settingsPath), found $($n.Count)" }
$previous = $n[0].InnerText
if ($previous -ne $thumb) {
    Copy-Item -LiteralPath $p.settingsPath -Destination ("$($p.settingsPath).bak-" + (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss'))
    $n[0].InnerText = $thumb
    $tmp = "$($p.settingsPath).tmp"
    $x.Save($tmp)
    Move-Item -LiteralPath $tmp -Destination $p.settingsPath -Force
}
$ipport = "0.0.0.0:$($p.port)"
netsh http show sslcert ipport=$ipport *> $null
if ($LASTEXITCODE -eq 0) { netsh http delete sslcert ipport=$ipport | Out-Null }
$out = netsh http add sslcert ipport=$ipport certhash=$($thumb) certstorename=Root appid='{2f8a1c4e-7f0a-4d7b-9a51-5c3b8e6d0a11}'
if ($LASTEXITCODE -ne 0) { throw "netsh could not bind $($thumb) to ${ipport}: $out" }
$svc = Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue
if ($svc -and $svc.Status -eq 'Running') { Restart-Service -Name $p.serviceName -Force }
$r = [pscustomobject]@{ previousThumbprint = $previous; thumbprint = $thumb }
`, true)
}

func psAlwaysOn(enable bool, serverInstance string) script.PowerShell {
	op, verb := "master.alwayson.enable", "Enable-SqlAlwaysOn"
	if !enable {
		op, verb = "master.alwayson.disable", "Disable-SqlAlwaysOn"
	}
	return psWinChange(op, map[string]any{"serverInstance": serverInstance}, `if (-not (Get-Command `+verb+` -ErrorAction SilentlyContinue)) {
    Import-Module SqlServer -ErrorAction SilentlyContinue
    if (-not (Get-Command `+verb+` -ErrorAction SilentlyContinue)) { throw "the SqlServer PowerShell module is not installed on $env:COMPUTERNAME; run Install-Module SqlServer there and try again" }
}
# This restarts the database engine.
`+verb+` -ServerInstance $p.serverInstance -Force
$r = [pscustomobject]@{ serverInstance = $p.serverInstance; hadrEnabled = `+map[bool]string{true: "$true", false: "$false"}[enable]+` }
`, true)
}

// --- certificates ---

func psMasterCertGet(thumbprint, dnsName string) script.PowerShell {
	return psWinRead("cert.get", map[string]any{"thumbprint": thumbprint, "dnsName": dnsName}, psCertInfoFn+`$out = foreach ($store in 'My', 'Root') {
    Get-ChildItem "Cert:\LocalMachine\$store" | Where-Object {
        ($p.thumbprint -and $_.Thumbprint -eq $p.thumbprint) -or
        (-not $p.thumbprint -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.dnsName))
    } | ForEach-Object { Get-SsishaCertInfo -Cert $_ -Store "LocalMachine\$store" }
}
$r = [pscustomobject]@{ certs = @($out) }
`)
}

// psPfxRoundTrip moves a certificate with its key into LocalMachine\Root the way the
// SSIS documentation does: export, then Import-PfxCertificate, which keeps the key in
// the machine key set (a raw .NET import over remoting would put it in the remoting
// user's profile, where http.sys cannot use it).
const psPfxRoundTrip = `function Copy-SsishaCertToRoot {
    param($Cert)
    $pw = New-Object System.Security.SecureString
    $bytes = New-Object byte[] 24
    [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
    foreach ($ch in [Convert]::ToBase64String($bytes).ToCharArray()) { $pw.AppendChar($ch) }
    $tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
    try {
        Export-PfxCertificate -Cert $Cert -FilePath $tmp -Password $pw -ChainOption EndEntityCertOnly | Out-Null
        Import-PfxCertificate -FilePath $tmp -CertStoreLocation Cert:\LocalMachine\Root -Password $pw -Exportable | Out-Null
    } finally {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
    }
}
`

func psMasterCertCreate(subject string, dnsNames []string, friendlyName string, years int) script.PowerShell {
	return psWinChange("cert.create", map[string]any{"subject": subject, "dnsNames": dnsNames, "friendlyName": friendlyName, "years": years},
		psPfxRoundTrip+`$existing = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq $p.friendlyName -and $_.Subject -eq $p.subject -and $_.NotAfter -gt (Get-Date).AddDays(30) } | Sort-Object NotAfter -Descending | Select-Object -First 1
$created = $false
if ($existing) {
    $thumb = $existing.Thumbprint
} else {
    # SHA1 as the SSIS certificate documentation creates them; the thumbprint pins the
    # certificate, and whether Scale Out accepts other hashes is not documented.
    $cert = New-SelfSignedCertificate -Subject $p.subject -DnsName $p.dnsNames -CertStoreLocation Cert:\LocalMachine\My -KeyExportPolicy Exportable -KeySpec KeyExchange -KeyLength 2048 -FriendlyName $p.friendlyName -HashAlgorithm SHA1 -NotAfter (Get-Date).AddYears($p.years)
    # Setup and http.sys look for the master certificate in LocalMachine\Root.
    Copy-SsishaCertToRoot -Cert $cert
    $thumb = $cert.Thumbprint
    $created = $true
}
$r = [pscustomobject]@{ thumbprint = $thumb.ToUpperInvariant(); created = $created }
`, true)
}

func psMasterCertCopyToRoot(thumbprint string) script.PowerShell {
	return psWinChange("cert.copy.root", map[string]any{"thumbprint": thumbprint}, psPfxRoundTrip+`$cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { throw "certificate $($p.thumbprint) is not in LocalMachine\My on $env:COMPUTERNAME" }
if (-not $cert.HasPrivateKey) { throw "certificate $($p.thumbprint) on $env:COMPUTERNAME has no private key, so it cannot serve HTTPS" }
if (-not (Test-Path -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)")) { Copy-SsishaCertToRoot -Cert $cert }
$r = [pscustomobject]@{ thumbprint = $p.thumbprint }
`, true)
}

func psMasterCertRemove(thumbprint string, stores []string) script.PowerShell {
	return psWinChange("cert.remove", map[string]any{"thumbprint": thumbprint, "stores": stores}, `$removed = foreach ($store in @($p.stores)) {
    $path = "Cert:\LocalMachine\$store\$($p.thumbprint)"
    if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey -ErrorAction SilentlyContinue; if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path }; "LocalMachine\$store" }
}
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; removed = @($removed) }
`, true)
}

func psMasterCertExport(thumbprint string, password script.Secret) script.PowerShell {
	return psWinChange("cert.export", map[string]any{"thumbprint": thumbprint, "password": password}, `$cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { $cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue }
if (-not $cert) { throw "certificate $($p.thumbprint) is not on $env:COMPUTERNAME" }
$pw = ConvertTo-SecureString -String $p.password -AsPlainText -Force
$tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
try {
    Export-PfxCertificate -Cert $cert -FilePath $tmp -Password $pw -ChainOption EndEntityCertOnly | Out-Null
    $b64 = [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($tmp))
} finally {
    # The file holds the private key; it leaves the node only as this result.
    Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
}
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; pfx = $b64 }
`, true)
}

func psMasterCertImport(thumbprint string, pfx, password script.Secret) script.PowerShell {
	return psWinChange("cert.import", map[string]any{"thumbprint": thumbprint, "pfx": pfx, "password": password}, `$existing = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not ($existing -and $existing.HasPrivateKey)) {
    $pw = ConvertTo-SecureString -String $p.password -AsPlainText -Force
    $tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
    try {
        [System.IO.File]::WriteAllBytes($tmp, [Convert]::FromBase64String($p.pfx))
        # Import-PfxCertificate into a LocalMachine store keeps the key in the machine
        # key set, where http.sys can use it.
        $imported = Import-PfxCertificate -FilePath $tmp -CertStoreLocation Cert:\LocalMachine\Root -Password $pw -Exportable
    } finally {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
    }
    if ($imported.Thumbprint -ne $p.thumbprint) { throw "the imported certificate is $($imported.Thumbprint), not the expected $($p.thumbprint)" }
}
$c = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)"
$r = [pscustomobject]@{ thumbprint = $c.Thumbprint; hasPrivateKey = $c.HasPrivateKey }
`, true)
}

// --- how the Windows-side steps run these scripts and read what they return ---

// runAsOperator is the account the scheduled-task scripts log on as: the operator's
// WinRM credentials. problem says what is missing when there are none.
func runAsOperator(env *Env) (user string, password script.Secret, problem string) {
	user = env.Answers.Connection.WinRM.User
	if env.Secrets != nil {
		password = script.NewSecret("operator-password", env.Secrets.WinRMPassword.Reveal())
	}
	if user == "" || password.IsZero() {
		return user, password, "New-Cluster and Add-ClusterGenericServiceRole must run with your own credentials on the node (a WinRM session cannot pass them on to Active Directory), so ssisha runs them in a one-shot scheduled task as you; set connection.winrm.user and SSISHA_WINRM_PASSWORD"
	}
	return user, password, ""
}

// accessPointNames are the master's client access point as a FQDN and as the short network
// name the cluster registers.
func accessPointNames(a *answers.Answers) (fqdn, short string) {
	name := strings.TrimSuffix(a.MasterService.DNSName, ".")
	short, _, _ = strings.Cut(name, ".")
	if strings.Contains(name, ".") {
		return name, short
	}
	if suffix := domainDNSSuffix(a); suffix != "" {
		return name + "." + suffix, short
	}
	return name, short
}

// domainDNSSuffix is the domain's DNS suffix as the master host names show it.
func domainDNSSuffix(a *answers.Answers) string {
	for _, m := range a.Masters {
		if _, rest, ok := strings.Cut(m.Host, "."); ok {
			return rest
		}
	}
	return ""
}

// hostShortName is a host's first label.
func hostShortName(h string) string {
	s, _, _ := strings.Cut(h, ".")
	return s
}

// addressOnly strips the prefix length from 10.0.0.60/24: the cluster cmdlets take the
// address alone and read the subnet from the network they find it on.
func addressOnly(s string) string {
	ip, _, _ := strings.Cut(strings.TrimSpace(s), "/")
	return ip
}

// runCollect runs commands in order and returns each one's JSON result.
func runCollect(ctx context.Context, env *Env, summary string, cmds []Command) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(cmds))
	for _, c := range cmds {
		env.Say(c.Host, summary)
		var raw json.RawMessage
		var err error
		switch {
		case c.PS != nil:
			err = env.PS(ctx, c.Host, *c.PS, &raw)
		default:
			err = env.Run(ctx, c)
		}
		if err != nil {
			return out, err
		}
		out = append(out, raw)
	}
	return out, nil
}
