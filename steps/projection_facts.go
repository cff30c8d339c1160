package steps

import (
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/remote"
)

// What the planned actions of earlier steps make, fact by fact: each reader the steps
// share passes its result through one of these (see projection.go). Each says what
// the step's actions leave behind when they succeed, in the terms its reader uses.

// farFuture is the expiry of a certificate the plan makes: it has none yet.
const farFuture = "9999-12-31T00:00:00Z"

func (p *Projection) isPrimary(env *Env, host string) bool {
	return SameHost(env.Answers.Primary().Host, host)
}

// masterNode is what master.get will find on host.
func (p *Projection) masterNode(env *Env, host string, read func() (masterNodeState, error)) (masterNodeState, error) {
	return projectedRead(p, read, false, func(m *masterNodeState) {
		a := env.Answers
		port := strconv.Itoa(answersMasterPort(a))
		if p.installsMaster(host) {
			thumb := p.masterThumbprint()
			primary := p.isPrimary(env, host)
			m.EngineInstalled, m.ISInstalled, m.HadrEnabled = true, true, true
			if m.MasterMarker == "" {
				m.MasterMarker = Placeholder("master registry marker on " + host)
			}
			if m.Service == nil {
				m.Service = &masterServiceState{Name: env.Version.MasterService(), StartName: a.MasterService.Account, StartMode: "Auto", State: "Running"}
			}
			if !primary {
				// Step 3 leaves a secondary's master stopped and Manual.
				m.Service.StartMode, m.Service.State = "Manual", "Stopped"
			}
			if m.Settings == nil {
				m.Settings = &masterSettingsFile{Path: env.Version.MasterSettingsPath(), PortNumber: port,
					SQLServerName: Placeholder("SqlServerName setup writes on " + host)}
			}
			m.Settings.SSLCertThumbprint = thumb
			m.Binding = &httpBinding{CertificateHash: thumb, StoreName: "Root"}
			m.Firewall = &firewallRuleState{Name: masterFirewallRule(answersMasterPort(a)), Enabled: true}
			open := map[string]bool{}
			for k, v := range m.ReplicaFirewall {
				open[k] = v
			}
			for _, rp := range replicaPorts(a, *m) {
				open[replicaFirewallRule(rp.Port)] = true
			}
			m.ReplicaFirewall = open
		}
		if p.changes(5, host) && m.Settings != nil {
			m.Settings.SQLServerName = a.ListenerAddress()
		}
		if p.changes(7, "") && m.Service != nil {
			m.Service.StartMode = "Manual"
			if !p.isPrimary(env, host) {
				m.Service.State = "Stopped"
			}
		}
	})
}

// masterCerts is what cert.get will find on host. A placeholder thumbprint is not
// looked for on the node: only the projection can know that certificate.
func (p *Projection) masterCerts(env *Env, host, thumbprint string, read func() ([]masterCertState, error)) ([]masterCertState, error) {
	return projectedRead(p, read, IsPlaceholder(thumbprint), func(certs *[]masterCertState) {
		if !p.installsMaster(host) {
			return
		}
		thumb := p.masterThumbprint()
		if thumbprint != "" && !strings.EqualFold(ShowPlaceholders(thumbprint), ShowPlaceholders(thumb)) {
			return
		}
		if c, ok := certInStore(*certs, `LocalMachine\Root`); ok && c.HasPrivateKey {
			return
		}
		fqdn, _ := accessPointNames(env.Answers)
		*certs = append(*certs, masterCertState{Thumbprint: thumb, Store: `LocalMachine\Root`, Subject: "CN=" + fqdn,
			DNSNames: masterCertNames(env.Answers), FriendlyName: masterCertFriendlyName, HasPrivateKey: true, Exportable: true, NotAfter: farFuture})
	})
}

// masterSettings is what settings.master.read will find on host.
func (p *Projection) masterSettings(env *Env, host string, read func() (masterSettings, error)) (masterSettings, error) {
	return projectedRead(p, read, false, func(ms *masterSettings) {
		a := env.Answers
		if p.installsMaster(host) {
			ms.Installed, ms.Found = true, true
			if ms.Path == "" {
				ms.Path = env.Version.MasterSettingsPath()
			}
			if ms.SQLServerName == "" {
				ms.SQLServerName = Placeholder("SqlServerName setup writes on " + host)
			}
			ms.Thumbprint, ms.Port, ms.ServiceAccount = p.masterThumbprint(), strconv.Itoa(answersMasterPort(a)), a.MasterService.Account
			ms.ServiceState, ms.ServiceStartMode = "Running", "Auto"
			if !p.isPrimary(env, host) {
				ms.ServiceState, ms.ServiceStartMode = "Stopped", "Manual"
			}
		}
		if p.changes(5, host) {
			ms.SQLServerName = a.ListenerAddress()
		}
	})
}

// masterCert is the certificate MasterSettings.config will name on host.
func (p *Projection) masterCert(env *Env, host string, read func() (masterCert, error)) (masterCert, error) {
	return projectedRead(p, read, false, func(mc *masterCert) {
		if !p.installsMaster(host) {
			return
		}
		fqdn, _ := accessPointNames(env.Answers)
		thumb := p.masterThumbprint()
		if mc.Found && strings.EqualFold(mc.Thumbprint, thumb) {
			return
		}
		*mc = masterCert{Found: true, SettingsFound: true, Thumbprint: thumb, Port: strconv.Itoa(answersMasterPort(env.Answers)),
			Subject: "CN=" + fqdn, DNSNames: masterCertNames(env.Answers), Cer: Placeholder("master certificate (DER, base64) from " + host)}
	})
}

// masterRole is what cluster.role.get will find from host.
func (p *Projection) masterRole(read func() (masterRoleState, error)) (masterRoleState, error) {
	return projectedRead(p, read, false, func(r *masterRoleState) {
		if p.changes(1, "") {
			r.ClusterExists = true
		}
	})
}

// replicaFacts is what ag.replica.facts will find on host.
func (p *Projection) replicaFacts(env *Env, host string, read func() (replicaFacts, error)) (replicaFacts, error) {
	return projectedRead(p, read, false, func(f *replicaFacts) {
		a := env.Answers
		if p.installsMaster(host) {
			f.Hadr = true
		}
		if p.changes(4, host) {
			f.EndpointName, f.MasterLogin, f.AGExists, f.Joined, f.DBInAG = HadrEndpointName, true, true, true, true
			if f.SSISDBState == "" {
				f.SSISDBState = "ONLINE"
			}
			if f.FamilyGUID == "" {
				f.FamilyGUID = Placeholder("SSISDB family GUID")
			}
			if p.isPrimary(env, host) {
				f.Role = "primary"
			} else {
				f.Role, f.DMKCredential, f.Support, f.SupportMissing = "secondary", true, true, ""
			}
		}
		if p.plans(4, actListener.ID) {
			f.ListenerDNS = a.AvailabilityGroup.Listener.DNSName
		}
		if p.plans(4, actCreateAG.ID) {
			f.AGExists = true
		}
	})
}

// catalogFacts is what ssisdb.catalog.facts will find on host. Through a listener
// the plan creates there is nothing to read yet.
func (p *Projection) catalogFacts(env *Env, host string, read func() (catalogFacts, error)) (catalogFacts, error) {
	skip := host == remote.Listener && p.plans(4, actListener.ID)
	return projectedRead(p, read, skip, func(c *catalogFacts) {
		a := env.Answers
		if p.changes(4, a.Primary().Host) {
			c.Catalog, c.MasterUserAdmin, c.ScaleOut = true, true, "TRUE"
			if c.DBState == "" {
				c.DBState = "ONLINE"
			}
		}
		for _, u := range undoHints[supportUndo](p, 4, actAlwaysOnSupport.ID) {
			if u.Server != "" && !hasReplica(c.Replicas, u.Server) {
				c.Replicas = strings.Trim(c.Replicas+","+u.Server, ",")
			}
		}
		if p.changes(6, "") {
			c.LogDBServer = a.ListenerAddress()
		}
		if p.changes(8, "") {
			c.MasterAddress = a.MasterAddress()
		}
	})
}

// loginFacts is what the logging login will look like on host: catalog.enable_scaleout
// (step 4) creates it on the primary with a random password and a SID only SQL Server
// knows; step 6 gives every replica the primary's SID and the logging password.
func (p *Projection) loginFacts(env *Env, host string, read func() (loginFacts, error)) (loginFacts, error) {
	return projectedRead(p, read, false, func(l *loginFacts) {
		primary := p.isPrimary(env, host)
		if primary && p.plans(4, actCreateCatalog.ID) && !l.Exists {
			l.Exists, l.PasswordMatches = true, false
			l.SID = []byte(Placeholder("SID of the logging login on the primary"))
		}
		if p.changes(6, host) {
			l.Exists, l.PasswordMatches = true, true
			if !primary {
				l.SID = []byte(Placeholder("SID of the logging login on the primary"))
			}
		}
	})
}
