# ssisha-op: cert.import
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"password":"<secret:pfx-password>","pfx":"<secret:master-pfx>","thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
$existing = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not ($existing -and $existing.HasPrivateKey)) {
    $pw = ConvertTo-SecureString -String $p.password -AsPlainText -Force
    $tmp = Join-Path $env:TEMP ('ssisha-' + [guid]::NewGuid().ToString('N') + '.pfx')
    try {
        [System.IO.File]::WriteAllBytes($tmp, [Convert]::FromBase64String($p.pfx))
        # Import-PfxCertificate into a LocalMachine store keeps the key in the machine
        # key set, where http.sys can use it.
        $imported = Import-PfxCertificate -FilePath $tmp -CertStoreLocation Cert:\LocalMachine\Root -Password $pw -Exportable
    } finally {
        Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
    }
    if ($imported.Thumbprint -ne $p.thumbprint) { throw "the imported certificate is $($imported.Thumbprint), not the expected $($p.thumbprint)" }
}
$c = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)"
$r = [pscustomobject]@{ thumbprint = $c.Thumbprint; hasPrivateKey = $c.HasPrivateKey }
$r | ConvertTo-Json -Compress -Depth 5
