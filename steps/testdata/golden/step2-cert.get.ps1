# ssisha-op: cert.get
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"dnsName":"ssismaster.contoso.com","thumbprint":""}'
function Get-SsishaCertInfo {
    param($Cert, [string]$Store)
    $exportable = $false
    if ($Cert.HasPrivateKey) {
        try {
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Cert)
            if ($key -is [System.Security.Cryptography.RSACng]) {
                $exportable = ($key.Key.ExportPolicy -band [System.Security.Cryptography.CngExportPolicies]::AllowPlaintextExport) -ne 0 -or
                              ($key.Key.ExportPolicy -band [System.Security.Cryptography.CngExportPolicies]::AllowExport) -ne 0
            } elseif ($key -is [System.Security.Cryptography.RSACryptoServiceProvider]) {
                $exportable = $key.CspKeyContainerInfo.Exportable
            }
        } catch { $exportable = $false }
    }
    [pscustomobject]@{
        thumbprint    = $Cert.Thumbprint.ToUpperInvariant()
        store         = $Store
        subject       = $Cert.Subject
        dnsNames      = @($Cert.DnsNameList | ForEach-Object { $_.Unicode })
        friendlyName  = $Cert.FriendlyName
        hasPrivateKey = $Cert.HasPrivateKey
        exportable    = $exportable
        notAfter      = $Cert.NotAfter.ToUniversalTime().ToString('o')
    }
}
$out = foreach ($store in 'My', 'Root') {
    Get-ChildItem "Cert:\LocalMachine\$store" | Where-Object {
        ($p.thumbprint -and $_.Thumbprint -eq $p.thumbprint) -or
        (-not $p.thumbprint -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.dnsName))
    } | ForEach-Object { Get-SsishaCertInfo -Cert $_ -Store "LocalMachine\$store" }
}
$r = [pscustomobject]@{ certs = @($out) }
$r | ConvertTo-Json -Compress -Depth 5
