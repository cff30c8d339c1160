# ssisha-op: cluster.create
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"inflight":null,"name":"SSISCL","nodes":["node1.contoso.com","node2.contoso.com"],"runAsUser":"CONTOSO\\dba","staticAddress":"10.0.0.40"}'
# on stdin: runAsPassword=<secret:operator-password>
foreach ($i in (ConvertFrom-Json ([Console]::In.ReadToEnd())).PSObject.Properties) { $p | Add-Member -NotePropertyName $i.Name -NotePropertyValue $i.Value -Force }
# ssisha-inflight: marker
$inflightFile = $null
if ($p.inflight) {
    $inflightDir = Join-Path $env:ProgramData 'ssisha\inflight'
    if (-not (Test-Path -LiteralPath $inflightDir)) {
        New-Item -ItemType Directory -Path $inflightDir -Force | Out-Null
        # Administrators and SYSTEM only, not what ProgramData passes on.
        $acl = New-Object System.Security.AccessControl.DirectorySecurity
        $acl.SetAccessRuleProtection($true, $false)
        foreach ($sid in 'S-1-5-32-544', 'S-1-5-18') {
            $id = New-Object System.Security.Principal.SecurityIdentifier $sid
            $acl.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule ($id, 'FullControl', 'ContainerInherit, ObjectInherit', 'None', 'Allow')))
        }
        Set-Acl -LiteralPath $inflightDir -AclObject $acl
    }
    $inflightFile = Join-Path $inflightDir (Split-Path -Leaf $p.inflight.file)
    [pscustomobject]@{
        runId = $p.inflight.runId; step = $p.inflight.step; action = $p.inflight.action; what = $p.inflight.what; op = 'cluster.create'
        started = (Get-Date).ToUniversalTime().ToString('o'); pid = $PID
        processStarted = (Get-Process -Id $PID).StartTime.ToUniversalTime().ToString('o')
    } | ConvertTo-Json -Compress | Set-Content -LiteralPath $inflightFile -Encoding UTF8
}
try {
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
    $existing = Get-Cluster -ErrorAction SilentlyContinue
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
    @{ result = $result } | ConvertTo-Json -Compress -Depth 5 | Set-Content -LiteralPath $ResultPath -Encoding UTF8
} catch {
    @{ error = $_.Exception.Message } | ConvertTo-Json -Compress | Set-Content -LiteralPath $ResultPath -Encoding UTF8
}
'@
$data = [pscustomobject]@{ name = $p.name; nodes = @($p.nodes); staticAddress = $p.staticAddress }
$res = Invoke-SsishaAsTask -Inner $inner -Data $data -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 1800
$r = [pscustomobject]@{ name = $res.name; created = [bool]$res.created; report = $res.report }
} finally {
    if ($inflightFile) { Remove-Item -LiteralPath $inflightFile -Force -ErrorAction SilentlyContinue }
}
$r | ConvertTo-Json -Compress -Depth 5
