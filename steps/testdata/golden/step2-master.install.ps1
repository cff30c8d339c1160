# ssisha-op: master.install
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"account":"CONTOSO\\svc_ssismaster","certDnsName":"ssismaster.contoso.com","features":"IS,IS_Master","folder":"150","inflight":null,"port":8391,"setupPath":"C:\\SQLMedia\\setup.exe","startupType":"Automatic","thumbprint":""}'
# on stdin: password=<secret:master-account-password>
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
        runId = $p.inflight.runId; step = $p.inflight.step; action = $p.inflight.action; what = $p.inflight.what; op = 'master.install'
        started = (Get-Date).ToUniversalTime().ToString('o'); pid = $PID
        processStarted = (Get-Process -Id $PID).StartTime.ToUniversalTime().ToString('o')
    } | ConvertTo-Json -Compress | Set-Content -LiteralPath $inflightFile -Encoding UTF8
}
try {
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
function Get-SsishaSetupSummary {
    param([string]$Folder)
    $root = (Get-ItemProperty -Path "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$Folder" -Name VerSpecificRootDir -ErrorAction SilentlyContinue).VerSpecificRootDir
    if (-not $root) { $root = Join-Path $env:ProgramFiles "Microsoft SQL Server\$Folder" }
    $summary = Join-Path $root 'Setup Bootstrap\Log\Summary.txt'
    $msg = ''
    if (Test-Path -LiteralPath $summary) {
        $lines = Get-Content -LiteralPath $summary -TotalCount 60
        $msg = (($lines | Where-Object { $_ -match '^\s*(Final result|Exit message):' }) -replace '^\s+', '') -join ' '
    }
    [pscustomobject]@{ path = $summary; message = $msg }
}
if (-not (Test-Path -LiteralPath $p.setupPath -PathType Leaf)) { throw "SQL Server setup is not at $($p.setupPath) on $env:COMPUTERNAME; copy the installation media to a local disk" }
$reasons = Get-SsishaRebootReasons
if ($reasons.Count -gt 0) { throw "$env:COMPUTERNAME must restart before SQL Server setup can run ($($reasons -join ', '))" }
$thumb = $p.thumbprint
if (-not $thumb) {
    # The certificate ssisha made for the access point: newest first.
    $c = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
    if (-not $c) { throw "no Scale Out Master certificate for $($p.certDnsName) with a private key is in LocalMachine\Root on $env:COMPUTERNAME" }
    $thumb = $c.Thumbprint
}
# The command line is built here and never printed: it carries the password. Setup
# splits it as the C runtime does, where backslashes before a quote escape it: the
# trailing backslashes of a quoted value are doubled so its closing quote stays one.
$pw = $p.password -replace '(\\+)$', '$1$1'
$argLine = '/Q /ACTION=Install /IACCEPTSQLSERVERLICENSETERMS /SUPPRESSPRIVACYSTATEMENTNOTICE /INDICATEPROGRESS=False ' +
    ('/FEATURES={0} /ISMASTERSVCACCOUNT="{1}" /ISMASTERSVCPASSWORD="{2}" /ISMASTERSVCSTARTUPTYPE={3} /ISMASTERSVCPORT={4} /ISMASTERSVCTHUMBPRINT="{5}"' -f $p.features, $p.account, $pw, $p.startupType, $p.port, $thumb)
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
} finally {
    if ($inflightFile) { Remove-Item -LiteralPath $inflightFile -Force -ErrorAction SilentlyContinue }
}
$r | ConvertTo-Json -Compress -Depth 5
