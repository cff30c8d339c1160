# ssisha-op: cert.copy.root
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
function Copy-SsishaCertToRoot {
    param($Cert)
    $pw = New-Object System.Security.SecureString
    $bytes = New-Object byte[] 24
    [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
    foreach ($ch in [Convert]::ToBase64String($bytes).ToCharArray()) { $pw.AppendChar($ch) }
    $tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
    try {
        Export-PfxCertificate -Cert $Cert -FilePath $tmp -Password $pw -ChainOption EndEntityCertOnly | Out-Null
        Import-PfxCertificate -FilePath $tmp -CertStoreLocation Cert:\LocalMachine\Root -Password $pw -Exportable | Out-Null
    } finally {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
    }
}
$cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { throw "certificate $($p.thumbprint) is not in LocalMachine\My on $env:COMPUTERNAME" }
if (-not $cert.HasPrivateKey) { throw "certificate $($p.thumbprint) on $env:COMPUTERNAME has no private key, so it cannot serve HTTPS" }
if (-not (Test-Path -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)")) { Copy-SsishaCertToRoot -Cert $cert }
$r = [pscustomobject]@{ thumbprint = $p.thumbprint }
$r | ConvertTo-Json -Compress -Depth 5
