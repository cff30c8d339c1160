# ssisha-op: master.uninstall
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"features":"IS,IS_Master","folder":"150","port":8391,"setupPath":"C:\\SQLMedia\\setup.exe"}'
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
$r | ConvertTo-Json -Compress -Depth 5
