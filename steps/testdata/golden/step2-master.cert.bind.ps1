# ssisha-op: master.cert.bind
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"certDnsName":"ssismaster.contoso.com","port":8391,"serviceName":"SSISScaleOutMaster150","settingsPath":"C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MasterSettings.config","thumbprint":""}'
if ($p.thumbprint) {
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
$r | ConvertTo-Json -Compress -Depth 5
