# ssisha-op: cert.export
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
# on stdin: password=<secret:pfx-password>
foreach ($i in (ConvertFrom-Json ([Console]::In.ReadToEnd())).PSObject.Properties) { $p | Add-Member -NotePropertyName $i.Name -NotePropertyValue $i.Value -Force }
$cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { $cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue }
if (-not $cert) { throw "certificate $($p.thumbprint) is not on $env:COMPUTERNAME" }
# Exported in memory: the private key never reaches a file on this node.
$b64 = [Convert]::ToBase64String($cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $p.password))
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; pfx = $b64 }
$r | ConvertTo-Json -Compress -Depth 5
