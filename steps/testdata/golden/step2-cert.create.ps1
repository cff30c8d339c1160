# ssisha-op: cert.create
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"dnsNames":["ssismaster.contoso.com","ssismaster","node1.contoso.com"],"friendlyName":"SSISScaleOutMaster","subject":"CN=ssismaster.contoso.com","years":5}'
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
$existing = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq $p.friendlyName -and $_.Subject -eq $p.subject -and $_.NotAfter -gt (Get-Date).AddDays(30) } | Sort-Object NotAfter -Descending | Select-Object -First 1
$created = $false
if ($existing) {
    $thumb = $existing.Thumbprint
} else {
    # SHA1 as the SSIS certificate documentation creates them; the thumbprint pins the
    # certificate, and whether Scale Out accepts other hashes is not documented.
    $cert = New-SelfSignedCertificate -Subject $p.subject -DnsName $p.dnsNames -CertStoreLocation Cert:\LocalMachine\My -KeyExportPolicy Exportable -KeySpec KeyExchange -KeyLength 2048 -FriendlyName $p.friendlyName -HashAlgorithm SHA1 -NotAfter (Get-Date).AddYears($p.years)
    # Setup and http.sys look for the master certificate in LocalMachine\Root.
    Copy-SsishaCertToRoot -Cert $cert
    $thumb = $cert.Thumbprint
    $created = $true
}
$r = [pscustomobject]@{ thumbprint = $thumb.ToUpperInvariant(); created = $created }
$r | ConvertTo-Json -Compress -Depth 5
