package steps

import (
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// What every Windows and cluster script shares: the result line, the one-shot task
// that runs a script as the operator, the reboot check, and the builders that declare
// a script's op, flags and time limit. Values come only from $p; each script prints
// one JSON object as its last act.

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

func psWinRead(op string, params map[string]any, body string) script.PowerShell {
	return script.PowerShell{Op: op, Params: params, Body: body + psWinResultLine, ReadOnly: true, Idempotent: true}
}

func psWinChange(op string, params map[string]any, body string, idempotent bool) script.PowerShell {
	return psWinChangeWithin(0, op, params, body, idempotent)
}

// psWinChangeWithin is psWinChange for a script the node may take limit over (see
// scripts.go); 0 is the client's own per-command timeout.
func psWinChangeWithin(limit time.Duration, op string, params map[string]any, body string, idempotent bool) script.PowerShell {
	return script.PowerShell{Op: op, Params: params, Body: body + psWinResultLine, Idempotent: idempotent, Timeout: limit}
}

// --- node facts (preflight) ---

// --- Windows features ---

// --- firewall ---

// --- names, addresses, accounts, hosts (preflight and live field checks) ---

// --- the failover cluster (step 1) ---

// --- the master's cluster role (step 7) ---

// --- the Scale Out Master on a node (steps 2 and 3) ---

// --- certificates ---

// --- how the Windows-side steps run these scripts and read what they return ---
