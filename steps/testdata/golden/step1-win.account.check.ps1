# ssisha-op: win.account.check
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"accounts":["CONTOSO\\svc_ssismaster"]}'
$out = foreach ($a in @($p.accounts)) {
    $exists = $false; $enabled = $false; $sid = ''; $checked = $true; $notChecked = ''
    try {
        $sid = ([System.Security.Principal.NTAccount]$a).Translate([System.Security.Principal.SecurityIdentifier]).Value
        $exists = $true
    } catch [System.Security.Principal.IdentityNotMappedException] {
        $exists = $false
    } catch {
        $checked = $false; $notChecked = $_.Exception.Message
    }
    if ($exists) {
        $sam = ($a -split '\\')[-1]
        try {
            $u = ([adsisearcher]"(sAMAccountName=$sam)").FindOne()
            if ($u) { $enabled = -not ([int]$u.Properties['useraccountcontrol'][0] -band 2) }
            else { $checked = $false; $notChecked = "the directory search found no account $sam" }
        } catch {
            # Without delegation the session cannot query a domain controller (the
            # second hop): the account's state is then unknown, not enabled.
            $checked = $false; $notChecked = $_.Exception.Message
        }
    }
    [pscustomobject]@{ account = $a; exists = $exists; enabled = $enabled; sid = $sid; checked = $checked; notChecked = $notChecked }
}
$r = [pscustomobject]@{ accounts = @($out) }
$r | ConvertTo-Json -Compress -Depth 5
