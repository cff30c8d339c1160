# ssisha-op: win.node.facts
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"setupMedia":"C:\\SQLMedia\\setup.exe"}'
function Get-SsishaRebootReasons {
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
$cs = Get-CimInstance Win32_ComputerSystem
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
$r | ConvertTo-Json -Compress -Depth 5
