# ssisha-op: cluster.role.create
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"ssismaster","possibleOwners":["NODE1","NODE2"],"runAsUser":"CONTOSO\\dba","serviceName":"SSISScaleOutMaster150","staticAddress":"10.0.0.60"}'
# on stdin: runAsPassword=<secret:operator-password>
foreach ($i in (ConvertFrom-Json ([Console]::In.ReadToEnd())).PSObject.Properties) { $p | Add-Member -NotePropertyName $i.Name -NotePropertyValue $i.Value -Force }
function Invoke-SsishaAsTask {
    param([string]$Inner, [object]$Data, [string]$User, [string]$Password, [int]$TimeoutSec)
    # With this policy on, Register-ScheduledTask fails with "A specified logon session
    # does not exist" (0x80070520), which names neither the policy nor the fix.
    $lsa = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa' -Name DisableDomainCreds -ErrorAction SilentlyContinue
    if ($lsa -and $lsa.DisableDomainCreds -eq 1) {
        throw "the policy 'Network access: Do not allow storage of passwords and credentials for network authentication' is enabled on $env:COMPUTERNAME (HKLM\SYSTEM\CurrentControlSet\Control\Lsa\DisableDomainCreds = 1): a scheduled task cannot keep the operator's password, which the cluster cmdlets need; turn the policy off on this node for the run (Local Security Policy, or the GPO that sets it)"
    }
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
            throw "the scheduled task $id did not finish within $TimeoutSec seconds; it was stopped and removed; look at Task Scheduler history on $env:COMPUTERNAME"
        }
        $out = Get-Content -LiteralPath $outPath -Raw | ConvertFrom-Json
        if ($out.error) { throw $out.error }
        $out.result
    } finally {
        # A task still running past its time is stopped before it is removed, with the
        # password it stores: the script's own limit leaves room for this.
        Stop-ScheduledTask -TaskName $id -TaskPath '\ssisha\' -ErrorAction SilentlyContinue
        Unregister-ScheduledTask -TaskName $id -TaskPath '\ssisha\' -Confirm:$false -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $scriptPath, $dataPath, $outPath -Force -ErrorAction SilentlyContinue
    }
}
$inner = @'
param([string]$DataPath, [string]$ResultPath)
$ErrorActionPreference = 'Stop'
$d = Get-Content -LiteralPath $DataPath -Raw | ConvertFrom-Json
try {
    Import-Module FailoverClusters
    $g = Get-ClusterGroup -Name $d.name -ErrorAction SilentlyContinue
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
    @{ result = $result } | ConvertTo-Json -Compress -Depth 5 | Set-Content -LiteralPath $ResultPath -Encoding UTF8
} catch {
    @{ error = $_.Exception.Message } | ConvertTo-Json -Compress | Set-Content -LiteralPath $ResultPath -Encoding UTF8
}
'@
$data = [pscustomobject]@{ name = $p.name; serviceName = $p.serviceName; staticAddress = $p.staticAddress; possibleOwners = @($p.possibleOwners) }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 780
$r = [pscustomobject]@{ name = $res.name; state = $res.state; owner = $res.owner; computerObjectCreated = [bool]$res.computerObjectCreated }
$r | ConvertTo-Json -Compress -Depth 5
