# ssisha-op: cert.remove
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"stores":["My","Root"],"thumbprint":"AB12AB12AB12AB12AB12AB12AB12AB12AB12AB12"}'
$removed = foreach ($store in @($p.stores)) {
    $path = "Cert:\LocalMachine\$store\$($p.thumbprint)"
    if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey -ErrorAction SilentlyContinue; if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path }; "LocalMachine\$store" }
}
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; removed = @($removed) }
$r | ConvertTo-Json -Compress -Depth 5
