package steps

// The facts of a master node: what the master service, its settings file, its
// certificate and the cluster role look like there. Steps read them; none of these
// readers change anything.

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ssisha/ssisha/steps/answers"
)

// masterNodeState is what master.get reports about a node.
type masterNodeState struct {
	EngineInstalled bool                `json:"engineInstalled"`
	ISInstalled     bool                `json:"isInstalled"`
	MasterMarker    string              `json:"masterMarker"`
	Service         *masterServiceState `json:"service"`
	Settings        *masterSettingsFile `json:"settings"`
	Binding         *httpBinding        `json:"binding"`
	Firewall        *firewallRuleState  `json:"firewall"`
	// ReplicaFirewall are ssisha's inbound rules for the replica's ports, by name:
	// enabled or not.
	ReplicaFirewall map[string]bool `json:"replicaFirewall"`
	// SChannel is the node's client certificate trust (see checkSChannel).
	SChannel *schannelState `json:"schannel"`
	// SQLTCPPort is the instance's TCP port from its network configuration (0:
	// unknown, or dynamic only).
	SQLTCPPort       int      `json:"sqlTcpPort"`
	HadrEnabled      bool     `json:"hadrEnabled"`
	PendingReboot    bool     `json:"pendingReboot"`
	RebootReasons    []string `json:"rebootReasons"`
	SetupMediaExists bool     `json:"setupMediaExists"`
}

// schannelState is SChannel's client certificate trust on a master node.
type schannelState struct {
	// CAIssuedInRoot counts the certificates in LocalMachine\Root that are not
	// self-signed.
	CAIssuedInRoot        int    `json:"caIssuedInRoot"`
	ClientAuthTrustMode   string `json:"clientAuthTrustMode"`
	SendTrustedIssuerList string `json:"sendTrustedIssuerList"`
}

// rejectsWorkers: with certificates a CA issued in Root and SChannel's defaults, the
// master answers the workers' self-signed client certificates with 403 (the Scale Out
// troubleshooting page's fix is SendTrustedIssuerList = 0 or ClientAuthTrustMode = 2).
func (s *schannelState) rejectsWorkers() bool {
	return s != nil && s.CAIssuedInRoot > 0 && s.ClientAuthTrustMode != "2" && s.SendTrustedIssuerList != "0"
}

type masterServiceState struct {
	Name      string `json:"name"`
	StartName string `json:"startName"`
	StartMode string `json:"startMode"`
	State     string `json:"state"`
	PathName  string `json:"pathName"`
}

type masterSettingsFile struct {
	Path              string `json:"path"`
	PortNumber        string `json:"portNumber"`
	SSLCertThumbprint string `json:"sslCertThumbprint"`
	SQLServerName     string `json:"sqlServerName"`
	// Error says why the file could not be read (neither JSON nor XML, say).
	Error string `json:"error,omitempty"`
}

type httpBinding struct {
	CertificateHash string `json:"certificateHash"`
	StoreName       string `json:"storeName"`
}

type firewallRuleState struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}

// masterCertState is one certificate as cert.get reports it.
type masterCertState struct {
	Thumbprint    string   `json:"thumbprint"`
	Store         string   `json:"store"`
	Subject       string   `json:"subject"`
	DNSNames      []string `json:"dnsNames"`
	FriendlyName  string   `json:"friendlyName"`
	HasPrivateKey bool     `json:"hasPrivateKey"`
	Exportable    bool     `json:"exportable"`
	NotAfter      string   `json:"notAfter"`
}

func (c masterCertState) expired(now time.Time) bool {
	t, err := time.Parse(time.RFC3339Nano, c.NotAfter)
	return err == nil && t.Before(now)
}

// names reports whether the certificate names the access point (short or FQDN).
func (c masterCertState) names(fqdn, short string) bool {
	for _, n := range c.DNSNames {
		if strings.EqualFold(n, fqdn) || strings.EqualFold(n, short) {
			return true
		}
	}
	return false
}

// installed reports whether setup installed the master here.
func (m masterNodeState) installed() bool { return m.MasterMarker != "" && m.Service != nil }

func (m masterNodeState) facts() map[string]any {
	f := map[string]any{
		"engineInstalled": m.EngineInstalled,
		"isInstalled":     m.ISInstalled,
		"masterMarker":    m.MasterMarker,
		"hadrEnabled":     m.HadrEnabled,
		"pendingReboot":   m.PendingReboot,
	}
	if m.Service != nil {
		f["serviceAccount"] = m.Service.StartName
		f["serviceStartMode"] = m.Service.StartMode
	}
	if m.Settings != nil {
		f["settingsPort"] = m.Settings.PortNumber
		f["settingsThumbprint"] = strings.ToUpper(m.Settings.SSLCertThumbprint)
	}
	if m.Binding != nil {
		f["bindingThumbprint"] = m.Binding.CertificateHash
	}
	if m.Firewall != nil {
		f["firewallEnabled"] = m.Firewall.Enabled
	}
	return f
}

// masterFirewallRule names the inbound rule for the master port on every master node.
func masterFirewallRule(port int) string { return "SSISScaleOutMaster-" + strconv.Itoa(port) }

// replicaRulePrefix starts the names of ssisha's inbound rules for a replica's ports;
// replicaFirewallRule names the one for a port.
const replicaRulePrefix = "SSISHA-Replica-TCP-"

func replicaFirewallRule(port int) string { return replicaRulePrefix + strconv.Itoa(port) }

// replicaPort is a port other replicas, the masters and the workers reach a replica on.
type replicaPort struct {
	Port int
	What string
}

// replicaPorts are the ports every replica must accept from the other machines: the
// mirroring endpoint (seeding and synchronisation), the instance's port, and the
// listener's when it differs (the masters and the workers' logging reach the primary
// through it).
func replicaPorts(a *answers.Answers, m masterNodeState) []replicaPort {
	ep := a.AvailabilityGroup.EndpointPort
	if ep == 0 {
		ep = answers.DefaultEndpointPort
	}
	sql := m.SQLTCPPort
	if sql == 0 {
		sql = answers.DefaultSQLPort
	}
	lsn := a.AvailabilityGroup.Listener.Port
	if lsn == 0 {
		lsn = answers.DefaultSQLPort
	}
	out := []replicaPort{{ep, "the availability group's mirroring endpoint"}, {sql, "the SQL Server instance"}}
	if lsn != sql && lsn != ep {
		out = append(out, replicaPort{lsn, "the availability group listener"})
	}
	return out
}

func answersMasterPort(a *answers.Answers) int {
	if a.MasterService.Port != 0 {
		return a.MasterService.Port
	}
	return answers.DefaultMasterPort
}

func answersSetupMedia(a *answers.Answers) string { return a.SetupMedia }

func sqlInstanceOf(a *answers.Answers, host string) string {
	for _, m := range a.Masters {
		if strings.EqualFold(m.Host, host) && m.SQLInstance != "" {
			return m.SQLInstance
		}
	}
	return answers.DefaultSQLInstance
}

func sqlServerInstanceOf(a *answers.Answers, host string) string {
	inst := sqlInstanceOf(a, host)
	if strings.EqualFold(inst, answers.DefaultSQLInstance) {
		return host
	}
	return host + `\` + inst
}

func readMasterNode(ctx context.Context, env *Env, host string) (masterNodeState, error) {
	a := env.Answers
	port := answersMasterPort(a)
	return env.Projection.masterNode(env, host, func() (masterNodeState, error) {
		var m masterNodeState
		err := env.PS(ctx, host, psMasterGet(masterProbe{
			ServiceName: env.Version.MasterService(), Folder: env.Version.Folder(),
			SettingsPath: env.Version.MasterSettingsPath(), Port: port, FirewallRule: masterFirewallRule(port), ReplicaRulePrefix: replicaRulePrefix,
			SetupMedia: answersSetupMedia(a), Instance: sqlInstanceOf(a, host),
		}), &m)
		if err != nil {
			return m, fmt.Errorf("reading the Scale Out Master on %s failed: %w", host, err)
		}
		return m, nil
	})
}

func readMasterCerts(ctx context.Context, env *Env, host, thumbprint, dnsName string) ([]masterCertState, error) {
	return env.Projection.masterCerts(env, host, thumbprint, func() ([]masterCertState, error) {
		var res struct {
			Certs []masterCertState `json:"certs"`
		}
		if err := env.PS(ctx, host, psMasterCertGet(thumbprint, dnsName), &res); err != nil {
			return nil, fmt.Errorf("reading certificates on %s failed: %w", host, err)
		}
		return res.Certs, nil
	})
}

// certInStore returns the certificate in the given store, preferring one with a key.
func certInStore(certs []masterCertState, store string) (masterCertState, bool) {
	var found masterCertState
	ok := false
	for _, c := range certs {
		if !strings.EqualFold(c.Store, store) {
			continue
		}
		if !ok || (c.HasPrivateKey && !found.HasPrivateKey) {
			found, ok = c, true
		}
	}
	return found, ok
}

// masterCertOnNode returns the master certificate in LocalMachine\Root, else the one
// in LocalMachine\My: Root is where setup and http.sys look, My where it is often
// imported first.
func masterCertOnNode(certs []masterCertState) (masterCertState, bool) {
	if c, ok := certInStore(certs, `LocalMachine\Root`); ok {
		return c, true
	}
	return certInStore(certs, `LocalMachine\My`)
}

// masterRoleState is what cluster.role.get reports.
type masterRoleState struct {
	ClusterExists bool `json:"clusterExists"`
	Group         *struct {
		Name  string `json:"name"`
		State string `json:"state"`
		Owner string `json:"owner"`
	} `json:"group"`
	Services []struct {
		Name  string `json:"name"`
		Group string `json:"group"`
		State string `json:"state"`
	} `json:"services"`
	DNSName        string   `json:"dnsName"`
	Addresses      []string `json:"addresses"`
	PossibleOwners []string `json:"possibleOwners"`
	CAPInDNS       bool     `json:"capInDns"`
	CAPAddresses   []string `json:"capAddresses"`
}

func readMasterRole(ctx context.Context, env *Env, host string) (masterRoleState, error) {
	_, short := accessPointNames(env.Answers)
	return env.Projection.masterRole(func() (masterRoleState, error) {
		var r masterRoleState
		if err := env.PS(ctx, host, psRoleGet(short, env.Version.MasterService()), &r); err != nil {
			return r, fmt.Errorf("reading the master's cluster role from %s failed: %w", host, err)
		}
		return r, nil
	})
}

// masterSettings is what settings.master.read finds on a node.
type masterSettings struct {
	Installed        bool   `json:"installed"`
	Found            bool   `json:"found"`
	Path             string `json:"path"`
	SQLServerName    string `json:"SqlServerName"`
	Thumbprint       string `json:"SSLCertThumbprint"`
	Port             string `json:"PortNumber"`
	ServiceState     string `json:"serviceState"`
	ServiceStartMode string `json:"serviceStartMode"`
	ServiceAccount   string `json:"serviceAccount"`
}

func readMasterSettings(ctx context.Context, env *Env, host string) (masterSettings, error) {
	return env.Projection.masterSettings(env, host, func() (masterSettings, error) {
		var ms masterSettings
		if err := env.PS(ctx, host, psMasterSettingsRead(env.Version.MasterService(), env.Version.MasterSettingsPath()), &ms); err != nil {
			return ms, fmt.Errorf("reading MasterSettings.config on %s: %w", host, err)
		}
		return ms, nil
	})
}

// masterCert is the certificate MasterSettings.config names on a master node.
type masterCert struct {
	Found         bool     `json:"found"`
	SettingsFound bool     `json:"settingsFound"`
	Thumbprint    string   `json:"thumbprint"`
	Port          string   `json:"port"`
	Subject       string   `json:"subject"`
	DNSNames      []string `json:"dnsNames"`
	Cer           string   `json:"cer"`
}

func readMasterCert(ctx context.Context, env *Env, host string) (masterCert, error) {
	return env.Projection.masterCert(env, host, func() (masterCert, error) {
		var mc masterCert
		if err := env.PS(ctx, host, psMasterCertRead(env.Version.MasterService(), env.Version.MasterSettingsPath()), &mc); err != nil {
			return mc, fmt.Errorf("reading the master certificate on %s: %w", host, err)
		}
		return mc, nil
	})
}

// certNames reports whether the URL's host is one of the certificate's names.
func (mc masterCert) names(host string) bool {
	for _, n := range mc.DNSNames {
		if strings.EqualFold(n, host) {
			return true
		}
	}
	return strings.EqualFold(strings.TrimPrefix(mc.Subject, "CN="), host)
}

// masterEndpointProblem says what is wrong with an address workers would use, or "".
func masterEndpointProblem(address string, mc masterCert) string {
	u, err := url.Parse(address)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return fmt.Sprintf("%q is not an https URL", address)
	}
	if !mc.names(u.Hostname()) {
		return fmt.Sprintf("the host %s is not a name the master certificate %s carries (%s)", u.Hostname(), mc.Thumbprint, strings.Join(mc.DNSNames, ", "))
	}
	if mc.Port != "" && u.Port() != mc.Port {
		return fmt.Sprintf("the port %s is not the master's PortNumber %s", u.Port(), mc.Port)
	}
	return ""
}
