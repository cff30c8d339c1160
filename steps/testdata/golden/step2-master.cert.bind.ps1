# ssisha-op: master.cert.bind
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"certDnsName":"ssismaster.contoso.com","port":8391,"serviceName":"SSISScaleOutMaster150","settingsPath":"C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MasterSettings.config","thumbprint":""}'
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
if ($p.thumbprint) {
    $cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
} else {
    $cert = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
}
if (-not $cert -or -not $cert.HasPrivateKey) { throw "the master certificate ($($p.thumbprint)$($p.certDnsName)) with its private key is not in LocalMachine\Root on $env:COMPUTERNAME" }
$thumb = $cert.Thumbprint
$s = Read-Settings $p.settingsPath
$previous = Get-Setting $s 'SSLCertThumbprint'
if ($previous -ne $thumb) {
    Set-Setting $s 'SSLCertThumbprint' $thumb
    $null = Save-Settings $s
}
$ipport = "0.0.0.0:$($p.port)"
netsh http show sslcert ipport=$ipport *> $null
if ($LASTEXITCODE -eq 0) { netsh http delete sslcert ipport=$ipport | Out-Null }
$out = netsh http add sslcert ipport=$ipport certhash=$($thumb) certstorename=Root appid='{2f8a1c4e-7f0a-4d7b-9a51-5c3b8e6d0a11}'
if ($LASTEXITCODE -ne 0) { throw "netsh could not bind $($thumb) to ${ipport}: $out" }
$svc = Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue
if ($svc -and $svc.Status -eq 'Running') { Restart-Service -Name $p.serviceName -Force }
$r = [pscustomobject]@{ previousThumbprint = $previous; thumbprint = $thumb }
$r | ConvertTo-Json -Compress -Depth 5
