# ssisha-op: win.firewall.remove
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"name":"SSISScaleOutMaster-8391"}'
$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
if ($rule) { Remove-NetFirewallRule -Name $p.name }
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$rule }
$r | ConvertTo-Json -Compress -Depth 5
