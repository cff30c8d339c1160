# ssisha-op: cert.import
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
# on stdin: password=<secret:pfx-password>, pfx=<secret:master-pfx>
foreach ($i in (ConvertFrom-Json ([Console]::In.ReadToEnd())).PSObject.Properties) { $p | Add-Member -NotePropertyName $i.Name -NotePropertyValue $i.Value -Force }
$existing = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not ($existing -and $existing.HasPrivateKey)) {
    # Imported from the bytes in memory. MachineKeySet puts the key in the machine key
    # set, where http.sys can use it (without it the key would land in the WinRM
    # user's profile); PersistKeySet keeps it after this process ends.
    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'MachineKeySet, PersistKeySet, Exportable'
    $bytes = [Convert]::FromBase64String($p.pfx)
    $imported = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList $bytes, $p.password, $flags
    if ($imported.Thumbprint -ne $p.thumbprint) { throw "the imported certificate is $($imported.Thumbprint), not the expected $($p.thumbprint)" }
    $st = New-Object System.Security.Cryptography.X509Certificates.X509Store ('Root', 'LocalMachine')
    $st.Open('ReadWrite')
    try { $st.Add($imported) } finally { $st.Close() }
}
$c = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)"
$r = [pscustomobject]@{ thumbprint = $c.Thumbprint; hasPrivateKey = $c.HasPrivateKey }
$r | ConvertTo-Json -Compress -Depth 5
