# ssisha-op: master.service.set
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$p = ConvertFrom-Json '{"serviceName":"SSISScaleOutMaster150","startMode":"Manual","state":"Stopped"}'
$svc = Get-Service -Name $p.serviceName
Set-Service -Name $p.serviceName -StartupType $p.startMode
if ($p.state -eq 'Stopped' -and $svc.Status -ne 'Stopped') { Stop-Service -Name $p.serviceName -Force }
if ($p.state -eq 'Running' -and $svc.Status -ne 'Running') { Start-Service -Name $p.serviceName }
$c = Get-CimInstance Win32_Service -Filter "Name='$($p.serviceName)'"
$r = [pscustomobject]@{ name = $c.Name; startMode = $c.StartMode; state = $c.State }
$r | ConvertTo-Json -Compress -Depth 5
