# ssisha-op: master.get
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"firewallRule":"SSISScaleOutMaster-8391","folder":"150","instance":"MSSQLSERVER","port":8391,"replicaRulePrefix":"","serviceName":"SSISScaleOutMaster150","settingsPath":"C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MasterSettings.config","setupMedia":"C:\\SQLMedia\\setup.exe"}'
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
function Read-Settings([string]$path) {
  $bytes = [System.IO.File]::ReadAllBytes($path)
  $bom = $bytes.Length -ge 3 -and $bytes[0] -eq 0xEF -and $bytes[1] -eq 0xBB -and $bytes[2] -eq 0xBF
  $enc = New-Object System.Text.UTF8Encoding($bom)
  $text = $enc.GetString($bytes)
  if ($text.Length -gt 0 -and $text[0] -eq [char]0xFEFF) { $text = $text.Substring(1) }
  $start = $text.TrimStart()
  $s = [pscustomobject]@{ Path = $path; Format = ''; Text = $text; Encoding = $enc; Doc = $null }
  if ($start.StartsWith('{')) {
    $null = $text | ConvertFrom-Json
    $s.Format = 'json'
  } elseif ($start.StartsWith('<')) {
    [xml]$doc = $text
    $s.Format = 'xml'; $s.Doc = $doc
  } else {
    $line = @($text -split "`r?`n" | Where-Object { $_.Trim() })[0]
    if ($line) { $line = $line.Trim() }
    throw "$path is neither JSON nor XML; its first line is '$line'"
  }
  return $s
}
function Find-JsonSetting($s, [string]$name) {
  $re = '"' + [regex]::Escape($name) + '"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]+)'
  $m = [regex]::Matches($s.Text, $re)
  if ($m.Count -ne 1) { throw "expected 1 $name property in $($s.Path), found $($m.Count)" }
  return $m[0].Groups[1]
}
function Get-Setting($s, [string]$name) {
  if ($s.Format -eq 'xml') {
    $n = $s.Doc.SelectNodes("//*[local-name()='" + $name + "']")
    if ($n.Count -ne 1) { throw "expected 1 $name element in $($s.Path), found $($n.Count)" }
    return $n[0].InnerText
  }
  $raw = (Find-JsonSetting $s $name).Value
  if ($raw -eq 'null') { return '' }
  return [string](('{"v":' + $raw + '}') | ConvertFrom-Json).v
}
function Set-Setting($s, [string]$name, [string]$value) {
  if ($s.Format -eq 'xml') {
    $n = $s.Doc.SelectNodes("//*[local-name()='" + $name + "']")
    if ($n.Count -ne 1) { throw "expected 1 $name element in $($s.Path), found $($n.Count)" }
    $n[0].InnerText = $value
    return
  }
  $g = Find-JsonSetting $s $name
  if ($value -match '[\x00-\x1f]') { throw "the value for $name holds a control character" }
  $new = '"' + $value.Replace('\', '\\').Replace('"', '\"') + '"'
  if (-not $g.Value.StartsWith('"') -and $value -match '^-?\d+(\.\d+)?$') { $new = $value }
  $s.Text = $s.Text.Substring(0, $g.Index) + $new + $s.Text.Substring($g.Index + $g.Length)
}
function Save-Settings($s) {
  $stamp = (Get-Date).ToUniversalTime().ToString('yyyyMMddHHmmss')
  $backup = "$($s.Path).bak-$stamp"
  Copy-Item -LiteralPath $s.Path -Destination $backup -Force
  $tmp = "$($s.Path).ssisha-tmp"
  if ($s.Format -eq 'xml') { $s.Doc.Save($tmp) } else { [System.IO.File]::WriteAllText($tmp, $s.Text, $s.Encoding) }
  Move-Item -LiteralPath $tmp -Destination $s.Path -Force
  return $backup
}
$root = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server'
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
    # A file this read cannot make out is reported, not thrown: the step blocks on it.
    try {
        $s = Read-Settings $settingsPath
        $read = { param($n) try { Get-Setting $s $n } catch { $null } }
        $settings = [pscustomobject]@{ path = $settingsPath; portNumber = & $read 'PortNumber'; sslCertThumbprint = & $read 'SSLCertThumbprint'; sqlServerName = & $read 'SqlServerName' }
    } catch {
        $settings = [pscustomobject]@{ path = $settingsPath; error = $_.Exception.Message }
    }
}
$binding = $null
# http.sys keeps its bindings in the registry; reading them there does not depend on the
# language netsh prints its labels in.
$sslKey = "HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters\SslBindingInfo\0.0.0.0:$($p.port)"
$ssl = Get-ItemProperty -LiteralPath $sslKey -ErrorAction SilentlyContinue
if ($ssl -and $ssl.SslCertHash) {
    $hash = (@($ssl.SslCertHash) | ForEach-Object { ([byte]$_).ToString('X2') }) -join ''
    $binding = [pscustomobject]@{ certificateHash = $hash; storeName = [string]$ssl.SslCertStoreName }
}
$fw = Get-NetFirewallRule -Name $p.firewallRule -ErrorAction SilentlyContinue
$firewall = $null
if ($fw) { $firewall = [pscustomobject]@{ name = $fw.Name; enabled = ($fw.Enabled -eq 'True') } }
$sch = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL' -ErrorAction SilentlyContinue
$schannel = [pscustomobject]@{
    caIssuedInRoot        = @(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Issuer -ne $_.Subject }).Count
    clientAuthTrustMode   = [string]$sch.ClientAuthTrustMode
    sendTrustedIssuerList = [string]$sch.SendTrustedIssuerList
}
$replicaFirewall = [ordered]@{}
foreach ($rule in @(Get-NetFirewallRule -Name ($p.replicaRulePrefix + '*') -ErrorAction SilentlyContinue)) { $replicaFirewall[$rule.Name] = ($rule.Enabled -eq 'True') }
$instKey = (Get-ItemProperty -Path "$root\Instance Names\SQL" -Name $p.instance -ErrorAction SilentlyContinue).($p.instance)
$hadr = $false
$sqlTcpPort = 0
if ($instKey) {
    $hadr = [int](Get-ItemProperty -Path "$root\$instKey\MSSQLServer\HADR" -Name HADR_Enabled -ErrorAction SilentlyContinue).HADR_Enabled -eq 1
    # The static port of IPAll; a dynamic-only instance reports 0 and the default is assumed.
    $tcp = Get-ItemProperty -Path "$root\$instKey\MSSQLServer\SuperSocketNetLib\Tcp\IPAll" -ErrorAction SilentlyContinue
    if ($tcp -and $tcp.TcpPort) { $sqlTcpPort = [int](([string]$tcp.TcpPort).Split(',')[0].Trim()) }
}
$reasons = Get-SsishaRebootReasons
$r = [pscustomobject]@{
    engineInstalled  = [bool]$engine
    isInstalled      = [bool]$isPath
    masterMarker     = [string]$marker
    service          = $service
    settings         = $settings
    binding          = $binding
    firewall         = $firewall
    replicaFirewall  = [pscustomobject]$replicaFirewall
    schannel         = $schannel
    sqlTcpPort       = $sqlTcpPort
    hadrEnabled      = $hadr
    pendingReboot    = $reasons.Count -gt 0
    rebootReasons    = @($reasons)
    setupMediaExists = [bool]($p.setupMedia -and (Test-Path -LiteralPath $p.setupMedia -PathType Leaf))
}
$r | ConvertTo-Json -Compress -Depth 5
