# ssisha-op: cluster.role.remove
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"createdAfter":"","name":"ssismaster","removeComputerObject":true,"runAsUser":"CONTOSO\\dba"}'
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
    @{ result = $result } | ConvertTo-Json -Compress -Depth 5 | Set-Content -LiteralPath $ResultPath -Encoding UTF8
} catch {
    @{ error = $_.Exception.Message } | ConvertTo-Json -Compress | Set-Content -LiteralPath $ResultPath -Encoding UTF8
}
'@
$res = Invoke-SsishaAsTask -Inner $inner -Data ([pscustomobject]@{ name = $p.name; removeComputerObject = [bool]$p.removeComputerObject; createdAfter = [string]$p.createdAfter }) -User $p.runAsUser -Password $p.runAsPassword -TimeoutSec 780
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$res.removed; computerObjectRemoved = [bool]$res.computerObjectRemoved; dnsRecordRemoved = [bool]$res.dnsRecordRemoved }
$r | ConvertTo-Json -Compress -Depth 5
