# ssisha-op: win.firewall.add
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"displayName":"SSIS Scale Out Master 8391","name":"SSISScaleOutMaster-8391","port":8391}'
$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
$created = $false
if (-not $rule) {
    New-NetFirewallRule -Name $p.name -DisplayName $p.displayName -Direction Inbound -Protocol TCP -LocalPort $p.port -Action Allow -Profile Any | Out-Null
    $created = $true
} elseif ($rule.Enabled -ne 'True') {
    Enable-NetFirewallRule -Name $p.name
}
$r = [pscustomobject]@{ name = $p.name; created = $created }
$r | ConvertTo-Json -Compress -Depth 5
