package steps

// The PowerShell of the master on a node, which steps 2, 3 and 7 and the master's
// facts share: reading it, installing and removing it, its service, its certificate,
// its http.sys binding, its firewall rule, Always On, and the cluster role's state.

import (
	"strings"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// psCertInfoFn describes a certificate the way every cert script reports it.
const psCertInfoFn = `function Get-SsishaCertInfo {
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
`

func psFirewallAdd(name, display string, port int) script.PowerShell {
	return psWinChange("win.firewall.add", map[string]any{"name": name, "displayName": display, "port": port}, `$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
$created = $false
if (-not $rule) {
    New-NetFirewallRule -Name $p.name -DisplayName $p.displayName -Direction Inbound -Protocol TCP -LocalPort $p.port -Action Allow -Profile Any | Out-Null
    $created = $true
} elseif ($rule.Enabled -ne 'True') {
    Enable-NetFirewallRule -Name $p.name
}
$r = [pscustomobject]@{ name = $p.name; created = $created }
`, true)
}

func psFirewallRemove(name string) script.PowerShell {
	return psWinChange("win.firewall.remove", map[string]any{"name": name}, `$rule = Get-NetFirewallRule -Name $p.name -ErrorAction SilentlyContinue
if ($rule) { Remove-NetFirewallRule -Name $p.name }
$r = [pscustomobject]@{ name = $p.name; removed = [bool]$rule }
`, true)
}

func psRoleGet(name, serviceName string) script.PowerShell {
	return psWinRead("cluster.role.get", map[string]any{"name": name, "serviceName": serviceName}, `$cl = $null
if (Get-Command Get-Cluster -ErrorAction SilentlyContinue) { $cl = Get-Cluster -ErrorAction SilentlyContinue }
$group = $null; $services = @(); $dnsName = ''; $addresses = @(); $owners = @()
if ($cl) {
    $services = @(Get-ClusterResource | Where-Object { $_.ResourceType.Name -eq 'Generic Service' } |
        Where-Object { ($_ | Get-ClusterParameter -Name ServiceName).Value -eq $p.serviceName } |
        ForEach-Object { [pscustomobject]@{ name = $_.Name; group = $_.OwnerGroup.Name; state = [string]$_.State } })
    $g = Get-ClusterGroup -Name $p.name -ErrorAction SilentlyContinue
    if ($g) {
        $res = @(Get-ClusterResource | Where-Object { $_.OwnerGroup.Name -eq $g.Name })
        $nn = $res | Where-Object { $_.ResourceType.Name -eq 'Network Name' } | Select-Object -First 1
        if ($nn) { $dnsName = ($nn | Get-ClusterParameter -Name DnsName).Value }
        $addresses = @($res | Where-Object { $_.ResourceType.Name -eq 'IP Address' } | ForEach-Object { ($_ | Get-ClusterParameter -Name Address).Value })
        # The possible owners of the role's service resource (the group's own owner list
        # is the preferred owners).
        $svcRes = $res | Where-Object { $_.ResourceType.Name -eq 'Generic Service' } | Select-Object -First 1
        if ($svcRes) { $owners = @(($svcRes | Get-ClusterOwnerNode).OwnerNodes | ForEach-Object { $_.Name }) }
        $group = [pscustomobject]@{ name = $g.Name; state = [string]$g.State; owner = $g.OwnerNode.Name }
    }
}
$capAddrs = @(Resolve-DnsName -Name $p.name -Type A -DnsOnly -ErrorAction SilentlyContinue | Where-Object { $_.IPAddress } | ForEach-Object { $_.IPAddress })
$r = [pscustomobject]@{
    clusterExists  = [bool]$cl
    group          = $group
    services       = $services
    dnsName        = $dnsName
    addresses      = $addresses
    possibleOwners = $owners
    capInDns       = $capAddrs.Count -gt 0
    capAddresses   = $capAddrs
}
`)
}

// masterProbe are what master.get reads on a node.
type masterProbe struct {
	ServiceName  string
	Folder       string
	SettingsPath string
	Port         int
	FirewallRule string
	// ReplicaRulePrefix finds ssisha's rules for the replica's ports.
	ReplicaRulePrefix string
	SetupMedia        string
	Instance          string
}

func psMasterGet(q masterProbe) script.PowerShell {
	return psWinRead("master.get", map[string]any{
		"serviceName": q.ServiceName, "folder": q.Folder, "settingsPath": q.SettingsPath, "port": q.Port,
		"firewallRule": q.FirewallRule, "replicaRulePrefix": q.ReplicaRulePrefix, "setupMedia": q.SetupMedia, "instance": q.Instance,
	}, psPendingReboot+psSettingsFile+`
$root = 'HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server'
$marker = (Get-ItemProperty -Path "$root\$($p.folder)\DTS\Setup\SQL_IS_Master" -Name Version -ErrorAction SilentlyContinue).Version
$isPath = (Get-ItemProperty -Path "$root\$($p.folder)\SSIS\Setup\DTSPath" -ErrorAction SilentlyContinue).'(default)'
$engine = Get-Service -Name $(if ($p.instance -eq 'MSSQLSERVER') { 'MSSQLSERVER' } else { 'MSSQL$' + $p.instance }) -ErrorAction SilentlyContinue
$svc = Get-CimInstance Win32_Service -Filter "Name='$($p.serviceName)'"
$service = $null
$settingsPath = $p.settingsPath
if ($svc) {
    $service = [pscustomobject]@{ name = $svc.Name; startName = $svc.StartName; startMode = $svc.StartMode; state = $svc.State; pathName = $svc.PathName }
    # The settings file sits next to the service executable; that beats the default path.
    $exe = ($svc.PathName -replace '^"([^"]+)".*$', '$1') -replace '^(\S+\.exe).*$', '$1'
    $candidate = Join-Path (Split-Path -Parent $exe) 'MasterSettings.config'
    if (Test-Path -LiteralPath $candidate) { $settingsPath = $candidate }
}
$settings = $null
if (Test-Path -LiteralPath $settingsPath) {
    # A file this read cannot make out is reported, not thrown: the step blocks on it.
    try {
        $s = Read-Settings $settingsPath
        $read = { param($n) try { Get-Setting $s $n } catch { $null } }
        $settings = [pscustomobject]@{ path = $settingsPath; portNumber = & $read 'PortNumber'; sslCertThumbprint = & $read 'SSLCertThumbprint'; sqlServerName = & $read 'SqlServerName' }
    } catch {
        $settings = [pscustomobject]@{ path = $settingsPath; error = $_.Exception.Message }
    }
}
$binding = $null
# http.sys keeps its bindings in the registry; reading them there does not depend on the
# language netsh prints its labels in.
$sslKey = "HKLM:\SYSTEM\CurrentControlSet\Services\HTTP\Parameters\SslBindingInfo\0.0.0.0:$($p.port)"
$ssl = Get-ItemProperty -LiteralPath $sslKey -ErrorAction SilentlyContinue
if ($ssl -and $ssl.SslCertHash) {
    $hash = (@($ssl.SslCertHash) | ForEach-Object { ([byte]$_).ToString('X2') }) -join ''
    $binding = [pscustomobject]@{ certificateHash = $hash; storeName = [string]$ssl.SslCertStoreName }
}
$fw = Get-NetFirewallRule -Name $p.firewallRule -ErrorAction SilentlyContinue
$firewall = $null
if ($fw) { $firewall = [pscustomobject]@{ name = $fw.Name; enabled = ($fw.Enabled -eq 'True') } }
$sch = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL' -ErrorAction SilentlyContinue
$schannel = [pscustomobject]@{
    caIssuedInRoot        = @(Get-ChildItem -Path Cert:\LocalMachine\Root | Where-Object { $_.Issuer -ne $_.Subject }).Count
    clientAuthTrustMode   = [string]$sch.ClientAuthTrustMode
    sendTrustedIssuerList = [string]$sch.SendTrustedIssuerList
}
$replicaFirewall = [ordered]@{}
foreach ($rule in @(Get-NetFirewallRule -Name ($p.replicaRulePrefix + '*') -ErrorAction SilentlyContinue)) { $replicaFirewall[$rule.Name] = ($rule.Enabled -eq 'True') }
$instKey = (Get-ItemProperty -Path "$root\Instance Names\SQL" -Name $p.instance -ErrorAction SilentlyContinue).($p.instance)
$hadr = $false
$sqlTcpPort = 0
if ($instKey) {
    $hadr = [int](Get-ItemProperty -Path "$root\$instKey\MSSQLServer\HADR" -Name HADR_Enabled -ErrorAction SilentlyContinue).HADR_Enabled -eq 1
    # The static port of IPAll; a dynamic-only instance reports 0 and the default is assumed.
    $tcp = Get-ItemProperty -Path "$root\$instKey\MSSQLServer\SuperSocketNetLib\Tcp\IPAll" -ErrorAction SilentlyContinue
    if ($tcp -and $tcp.TcpPort) { $sqlTcpPort = [int](([string]$tcp.TcpPort).Split(',')[0].Trim()) }
}
$reasons = Get-SsishaRebootReasons
$r = [pscustomobject]@{
    engineInstalled  = [bool]$engine
    isInstalled      = [bool]$isPath
    masterMarker     = [string]$marker
    service          = $service
    settings         = $settings
    binding          = $binding
    firewall         = $firewall
    replicaFirewall  = [pscustomobject]$replicaFirewall
    schannel         = $schannel
    sqlTcpPort       = $sqlTcpPort
    hadrEnabled      = $hadr
    pendingReboot    = $reasons.Count -gt 0
    rebootReasons    = @($reasons)
    setupMediaExists = [bool]($p.setupMedia -and (Test-Path -LiteralPath $p.setupMedia -PathType Leaf))
}
`)
}

// masterSetup are the values of a Scale Out Master setup run.
type masterSetup struct {
	SetupPath   string
	Folder      string
	Account     string
	Password    script.Secret
	Port        int
	Thumbprint  string // empty: the certificate found by CertDNSName
	CertDNSName string
	StartupType string // Automatic | Manual
	Features    string // IS,IS_Master or IS_Master
}

// psSetupSummary reads the outcome setup wrote, since its exit code alone says little.
// Setup's log is under the version's folder of the shared features, which may be on
// another drive: setup records that folder in the registry (VerSpecificRootDir).
const psSetupSummary = `function Get-SsishaSetupSummary {
    param([string]$Folder)
    $root = (Get-ItemProperty -Path "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$Folder" -Name VerSpecificRootDir -ErrorAction SilentlyContinue).VerSpecificRootDir
    if (-not $root) { $root = Join-Path $env:ProgramFiles "Microsoft SQL Server\$Folder" }
    $summary = Join-Path $root 'Setup Bootstrap\Log\Summary.txt'
    $msg = ''
    if (Test-Path -LiteralPath $summary) {
        $lines = Get-Content -LiteralPath $summary -TotalCount 60
        $msg = (($lines | Where-Object { $_ -match '^\s*(Final result|Exit message):' }) -replace '^\s+', '') -join ' '
    }
    [pscustomobject]@{ path = $summary; message = $msg }
}
`

func psMasterInstall(m masterSetup) script.PowerShell {
	return withInflightMarker(psWinChangeWithin(limitSetup, "master.install", map[string]any{
		"setupPath": m.SetupPath, "folder": m.Folder, "account": m.Account, "password": m.Password,
		"port": m.Port, "thumbprint": m.Thumbprint, "certDnsName": m.CertDNSName,
		"startupType": m.StartupType, "features": m.Features,
	}, psPendingReboot+psSetupSummary+`if (-not (Test-Path -LiteralPath $p.setupPath -PathType Leaf)) { throw "SQL Server setup is not at $($p.setupPath) on $env:COMPUTERNAME; copy the installation media to a local disk" }
$reasons = Get-SsishaRebootReasons
if ($reasons.Count -gt 0) { throw "$env:COMPUTERNAME must restart before SQL Server setup can run ($($reasons -join ', '))" }
$thumb = $p.thumbprint
if (-not $thumb) {
    # The certificate ssisha made for the access point: newest first.
    $c = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
    if (-not $c) { throw "no Scale Out Master certificate for $($p.certDnsName) with a private key is in LocalMachine\Root on $env:COMPUTERNAME" }
    $thumb = $c.Thumbprint
}
# The command line is built here and never printed: it carries the password. Setup
# splits it as the C runtime does, where backslashes before a quote escape it: the
# trailing backslashes of a quoted value are doubled so its closing quote stays one.
$pw = $p.password -replace '(\\+)$', '$1$1'
$argLine = '/Q /ACTION=Install /IACCEPTSQLSERVERLICENSETERMS /SUPPRESSPRIVACYSTATEMENTNOTICE /INDICATEPROGRESS=False ' +
    ('/FEATURES={0} /ISMASTERSVCACCOUNT="{1}" /ISMASTERSVCPASSWORD="{2}" /ISMASTERSVCSTARTUPTYPE={3} /ISMASTERSVCPORT={4} /ISMASTERSVCTHUMBPRINT="{5}"' -f $p.features, $p.account, $pw, $p.startupType, $p.port, $thumb)
$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $p.setupPath
$psi.Arguments = $argLine
$psi.UseShellExecute = $false
$psi.WorkingDirectory = Split-Path -Parent $p.setupPath
$proc = [System.Diagnostics.Process]::Start($psi)
$proc.WaitForExit()
$code = $proc.ExitCode
$argLine = $null
$summary = Get-SsishaSetupSummary -Folder $p.folder
if ($code -ne 0 -and $code -ne 3010) {
    throw "SQL Server setup failed on $env:COMPUTERNAME with exit code $code. $($summary.message) See $($summary.path)"
}
$r = [pscustomobject]@{ exitCode = $code; rebootRequired = ($code -eq 3010); thumbprint = $thumb; summary = $summary.message }
`, false))
}

func psMasterUninstall(setupPath, folder, features string, port int) script.PowerShell {
	return psWinChangeWithin(limitSetup, "master.uninstall", map[string]any{"setupPath": setupPath, "folder": folder, "features": features, "port": port},
		psSetupSummary+`if (-not (Test-Path -LiteralPath $p.setupPath -PathType Leaf)) { throw "SQL Server setup is not at $($p.setupPath) on $env:COMPUTERNAME; copy the installation media to a local disk" }
$psi = New-Object System.Diagnostics.ProcessStartInfo
$psi.FileName = $p.setupPath
$psi.Arguments = '/Q /ACTION=Uninstall /SUPPRESSPRIVACYSTATEMENTNOTICE /FEATURES=' + $p.features
$psi.UseShellExecute = $false
$proc = [System.Diagnostics.Process]::Start($psi)
$proc.WaitForExit()
$code = $proc.ExitCode
$summary = Get-SsishaSetupSummary -Folder $p.folder
if ($code -ne 0 -and $code -ne 3010) { throw "SQL Server setup could not uninstall $($p.features) on $env:COMPUTERNAME (exit code $code). $($summary.message) See $($summary.path)" }
# Uninstall leaves the http.sys binding behind; a later install would collide with it.
netsh http show sslcert ipport=0.0.0.0:$($p.port) *> $null
if ($LASTEXITCODE -eq 0) { netsh http delete sslcert ipport=0.0.0.0:$($p.port) | Out-Null }
$r = [pscustomobject]@{ exitCode = $code; rebootRequired = ($code -eq 3010) }
`, true)
}

func psServiceSet(serviceName, startMode, state string) script.PowerShell {
	return psWinChange("master.service.set", map[string]any{"serviceName": serviceName, "startMode": startMode, "state": state}, `$svc = Get-Service -Name $p.serviceName
Set-Service -Name $p.serviceName -StartupType $p.startMode
if ($p.state -eq 'Stopped' -and $svc.Status -ne 'Stopped') { Stop-Service -Name $p.serviceName -Force }
if ($p.state -eq 'Running' -and $svc.Status -ne 'Running') { Start-Service -Name $p.serviceName }
$c = Get-CimInstance Win32_Service -Filter "Name='$($p.serviceName)'"
$r = [pscustomobject]@{ name = $c.Name; startMode = $c.StartMode; state = $c.State }
`, true)
}

// psMasterCertBind points the master at another certificate: the settings file, the
// http.sys binding, and a restart. An empty thumbprint means the certificate ssisha
// made for certDnsName.
func psMasterCertBind(settingsPath, serviceName, thumbprint, certDNSName string, port int) script.PowerShell {
	return psWinChange("master.cert.bind", map[string]any{"settingsPath": settingsPath, "serviceName": serviceName, "thumbprint": thumbprint, "certDnsName": certDNSName, "port": port}, psSettingsFile+`
if ($p.thumbprint) {
    $cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
} else {
    $cert = Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.HasPrivateKey -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.certDnsName) } | Sort-Object NotAfter -Descending | Select-Object -First 1
}
if (-not $cert -or -not $cert.HasPrivateKey) { throw "the master certificate ($($p.thumbprint)$($p.certDnsName)) with its private key is not in LocalMachine\Root on $env:COMPUTERNAME" }
$thumb = $cert.Thumbprint
$s = Read-Settings $p.settingsPath
$previous = Get-Setting $s 'SSLCertThumbprint'
if ($previous -ne $thumb) {
    Set-Setting $s 'SSLCertThumbprint' $thumb
    $null = Save-Settings $s
}
$ipport = "0.0.0.0:$($p.port)"
netsh http show sslcert ipport=$ipport *> $null
if ($LASTEXITCODE -eq 0) { netsh http delete sslcert ipport=$ipport | Out-Null }
$out = netsh http add sslcert ipport=$ipport certhash=$($thumb) certstorename=Root appid='{2f8a1c4e-7f0a-4d7b-9a51-5c3b8e6d0a11}'
if ($LASTEXITCODE -ne 0) { throw "netsh could not bind $($thumb) to ${ipport}: $out" }
$svc = Get-Service -Name $p.serviceName -ErrorAction SilentlyContinue
if ($svc -and $svc.Status -eq 'Running') { Restart-Service -Name $p.serviceName -Force }
$r = [pscustomobject]@{ previousThumbprint = $previous; thumbprint = $thumb }
`, true)
}

// agentServiceOf is the Windows service of the SQL Server Agent of an instance given
// as HOST or HOST\INSTANCE: SQLSERVERAGENT, or SQLAgent$INSTANCE.
func agentServiceOf(serverInstance string) string {
	if _, inst, ok := strings.Cut(serverInstance, `\`); ok && inst != "" && !strings.EqualFold(inst, answers.DefaultSQLInstance) {
		return "SQLAgent$" + inst
	}
	return "SQLSERVERAGENT"
}

func psAlwaysOn(enable bool, serverInstance string) script.PowerShell {
	op, verb := "master.alwayson.enable", "Enable-SqlAlwaysOn"
	if !enable {
		op, verb = "master.alwayson.disable", "Disable-SqlAlwaysOn"
	}
	return psWinChangeWithin(limitSQLRestart, op, map[string]any{"serverInstance": serverInstance, "agentService": agentServiceOf(serverInstance)}, `if (-not (Get-Command `+verb+` -ErrorAction SilentlyContinue)) {
    Import-Module SqlServer -ErrorAction SilentlyContinue
    if (-not (Get-Command `+verb+` -ErrorAction SilentlyContinue)) { throw "the SqlServer PowerShell module is not installed on $env:COMPUTERNAME; run Install-Module SqlServer there and try again" }
}
# This restarts the database engine, which stops SQL Server Agent with it and does not
# start it again: note whether the Agent ran, and start it after.
$agent = Get-Service -Name $p.agentService -ErrorAction SilentlyContinue
$agentWasRunning = [bool]($agent -and $agent.Status -eq 'Running')
`+verb+` -ServerInstance $p.serverInstance -Force
if ($agentWasRunning) { Start-Service -Name $p.agentService }
$r = [pscustomobject]@{ serverInstance = $p.serverInstance; hadrEnabled = `+map[bool]string{true: "$true", false: "$false"}[enable]+`; agentWasRunning = $agentWasRunning }
`, true)
}

func psMasterCertGet(thumbprint, dnsName string) script.PowerShell {
	return psWinRead("cert.get", map[string]any{"thumbprint": thumbprint, "dnsName": dnsName}, psCertInfoFn+`$out = foreach ($store in 'My', 'Root') {
    Get-ChildItem "Cert:\LocalMachine\$store" | Where-Object {
        ($p.thumbprint -and $_.Thumbprint -eq $p.thumbprint) -or
        (-not $p.thumbprint -and $_.FriendlyName -eq 'SSISScaleOutMaster' -and ($_.DnsNameList.Unicode -contains $p.dnsName))
    } | ForEach-Object { Get-SsishaCertInfo -Cert $_ -Store "LocalMachine\$store" }
}
$r = [pscustomobject]@{ certs = @($out) }
`)
}

// psPfxRoundTrip moves a certificate with its key into LocalMachine\Root the way the
// SSIS documentation does: export, then Import-PfxCertificate, which keeps the key in
// the machine key set (a raw .NET import over remoting would put it in the remoting
// user's profile, where http.sys cannot use it).
const psPfxRoundTrip = `function Copy-SsishaCertToRoot {
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
`

func psMasterCertRemove(thumbprint string, stores []string) script.PowerShell {
	return psWinChange("cert.remove", map[string]any{"thumbprint": thumbprint, "stores": stores}, `$removed = foreach ($store in @($p.stores)) {
    $path = "Cert:\LocalMachine\$store\$($p.thumbprint)"
    if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -DeleteKey -ErrorAction SilentlyContinue; if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path }; "LocalMachine\$store" }
}
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; removed = @($removed) }
`, true)
}

// psMasterCertExport and psMasterCertImport get the PFX and its password on stdin,
// as every secret parameter travels (see script.PowerShell), never in the script
// text: on a command line they would reach the node's process list and audit log,
// and the import script with the PFX is too long for a command line, so the client
// would upload it, PFX included, to a file.
func psMasterCertExport(thumbprint string, password script.Secret) script.PowerShell {
	return psWinChange("cert.export", map[string]any{"thumbprint": thumbprint, "password": password}, `$cert = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
if (-not $cert) { $cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($p.thumbprint)" -ErrorAction SilentlyContinue }
if (-not $cert) { throw "certificate $($p.thumbprint) is not on $env:COMPUTERNAME" }
# Exported in memory: the private key never reaches a file on this node.
$b64 = [Convert]::ToBase64String($cert.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $p.password))
$r = [pscustomobject]@{ thumbprint = $p.thumbprint; pfx = $b64 }
`, true)
}

func psMasterCertImport(thumbprint string, pfx, password script.Secret) script.PowerShell {
	return psWinChange("cert.import", map[string]any{"thumbprint": thumbprint, "pfx": pfx, "password": password}, `$existing = Get-Item -LiteralPath "Cert:\LocalMachine\Root\$($p.thumbprint)" -ErrorAction SilentlyContinue
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
`, true)
}

func psMasterSettingsRead(service, defaultPath string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.read", ReadOnly: true,
		Params: map[string]any{"service": service, "defaultPath": defaultPath},
		Body: psFindSettings + `
$out = [ordered]@{ installed = $false; found = $false }
$svc = Get-CimInstance Win32_Service -Filter ("Name='" + $p.service.Replace("'", "''") + "'") -ErrorAction SilentlyContinue
if ($svc) {
  $out.installed = $true
  $out.serviceState = [string]$svc.State
  $out.serviceStartMode = [string]$svc.StartMode
  $out.serviceAccount = [string]$svc.StartName
}
$path = Find-Settings $p.service 'MasterSettings.config' $p.defaultPath
$out.path = $path
if (Test-Path -LiteralPath $path) {
  $s = Read-Settings $path
  $out.found = $true
  $out.format = $s.Format
  foreach ($k in 'SqlServerName', 'SSLCertThumbprint', 'PortNumber') { $out[$k] = Get-Setting $s $k }
}
[pscustomobject]$out | ConvertTo-Json -Compress -Depth 5`}
}

// psMasterCertRead reads the certificate MasterSettings.config names, with its names
// and its public part, which workers import into their Root store.
func psMasterCertRead(service, defaultPath string) script.PowerShell {
	return script.PowerShell{Op: "settings.master.cert.read", ReadOnly: true,
		Params: map[string]any{"service": service, "defaultPath": defaultPath},
		Body: psFindSettings + `
$path = Find-Settings $p.service 'MasterSettings.config' $p.defaultPath
if (-not (Test-Path -LiteralPath $path)) {
  [pscustomobject]@{ found = $false; settingsFound = $false } | ConvertTo-Json -Compress -Depth 5
  return
}
$s = Read-Settings $path
$thumb = (Get-Setting $s 'SSLCertThumbprint').Trim().ToUpperInvariant()
$port = Get-Setting $s 'PortNumber'
$cert = Get-ChildItem -Path "Cert:\LocalMachine\Root\$thumb", "Cert:\LocalMachine\My\$thumb" -ErrorAction SilentlyContinue | Select-Object -First 1
if (-not $cert) {
  [pscustomobject]@{ found = $false; settingsFound = $true; thumbprint = $thumb; port = $port } | ConvertTo-Json -Compress -Depth 5
  return
}
[pscustomobject]@{
  found = $true; settingsFound = $true; thumbprint = $cert.Thumbprint; port = $port; subject = $cert.Subject
  dnsNames = @($cert.DnsNameList | ForEach-Object { $_.Unicode })
  cer = [Convert]::ToBase64String($cert.RawData)
} | ConvertTo-Json -Compress -Depth 5`}
}
