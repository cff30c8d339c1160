# ssisha-op: win.account.check
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"accounts":["CONTOSO\\svc_ssismaster"]}'
$out = foreach ($a in @($p.accounts)) {
    $exists = $false; $enabled = $false; $sid = ''
    try {
        $sid = ([System.Security.Principal.NTAccount]$a).Translate([System.Security.Principal.SecurityIdentifier]).Value
        $exists = $true
    } catch { $exists = $false }
    if ($exists) {
        $sam = ($a -split '\\')[-1]
        try {
            $u = ([adsisearcher]"(sAMAccountName=$sam)").FindOne()
            if ($u) { $enabled = -not ([int]$u.Properties['useraccountcontrol'][0] -band 2) } else { $enabled = $true }
        } catch { $enabled = $true }
    }
    [pscustomobject]@{ account = $a; exists = $exists; enabled = $enabled; sid = $sid }
}
$r = [pscustomobject]@{ accounts = @($out) }
$r | ConvertTo-Json -Compress -Depth 5
