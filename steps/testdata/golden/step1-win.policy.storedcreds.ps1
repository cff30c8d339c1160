# ssisha-op: win.policy.storedcreds
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{}'
$v = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa' -Name DisableDomainCreds -ErrorAction SilentlyContinue
$n = -1
if ($v -and $null -ne $v.DisableDomainCreds) { $n = [int]$v.DisableDomainCreds }
$r = [pscustomobject]@{ disableDomainCreds = $n }
$r | ConvertTo-Json -Compress -Depth 5
