# ssisha-op: win.host.check
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"host":"node2.contoso.com","port":5986}'
$addrs = @(Resolve-DnsName -Name $p.host -Type A -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
$tcp = $false
if ($addrs.Count -gt 0) {
    $tcp = Test-NetConnection -ComputerName $p.host -Port $p.port -InformationLevel Quiet -WarningAction SilentlyContinue
}
$r = [pscustomobject]@{ host = $p.host; resolved = $addrs.Count -gt 0; addresses = $addrs; port = $p.port; tcp = [bool]$tcp }
$r | ConvertTo-Json -Compress -Depth 5
