package steps

// The PowerShell of step 2 that no other step runs: making the master certificate
// and placing it in LocalMachine\Root.

import "github.com/ssisha/ssisha/remote/script"

func psMasterCertCreate(subject string, dnsNames []string, friendlyName string, years int) script.PowerShell {
	return psWinChange("cert.create", map[string]any{"subject": subject, "dnsNames": dnsNames, "friendlyName": friendlyName, "years": years},
		psPfxRoundTrip+`$existing = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq $p.friendlyName -and $_.Subject -eq $p.subject -and $_.NotAfter -gt (Get-Date).AddDays(30) } | Sort-Object NotAfter -Descending | Select-Object -First 1
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
`, true)
}

func psMasterCertCopyToRoot(thumbprint string) script.PowerShell {
	return psWinChange("cert.copy.root", map[string]any{"thumbprint": thumbprint}, psPfxRoundTrip+`$cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { throw "certificate $($p.thumbprint) is not in LocalMachine\My on $env:COMPUTERNAME" }
if (-not $cert.HasPrivateKey) { throw "certificate $($p.thumbprint) on $env:COMPUTERNAME has no private key, so it cannot serve HTTPS" }
if (-not (Test-Path -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)")) { Copy-SsishaCertToRoot -Cert $cert }
$r = [pscustomobject]@{ thumbprint = $p.thumbprint }
`, true)
}
