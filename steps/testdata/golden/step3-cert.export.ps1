# ssisha-op: cert.export
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"password":"<secret:pfx-password>","thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
$cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { $cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue }
if (-not $cert) { throw "certificate $($p.thumbprint) is not on $env:COMPUTERNAME" }
$pw = ConvertTo-SecureString -String $p.password -AsPlainText -Force
$tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
try {
    Export-PfxCertificate -Cert $cert -FilePath $tmp -Password $pw -ChainOption EndEntityCertOnly | Out-Null
    $b64 = [Convert]::ToBase64String([System.IO.File]::ReadAllBytes($tmp))
} finally {
    # The file holds the private key; it leaves the node only as this result.
    Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
}
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; pfx = $b64 }
$r | ConvertTo-Json -Compress -Depth 5
