package answers

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/sqlversion"
)

// Validate checks the whole answers without touching the network and returns every
// problem at once, sorted by line then path (nil when there is none). Values the file
// leaves out are checked with their defaults.
func Validate(a *Answers) FieldErrors {
	c := a.clone()
	c.ApplyDefaults()
	r := &report{a: c}
	validateTop(r, c)
	validateMasters(r, c)
	validateMasterService(r, c)
	validateAG(r, c)
	validateWorkers(r, c)
	validateConnection(r, c)
	validateNames(r, c)
	validatePorts(r, c)
	validateAddresses(r, c)
	return r.sorted()
}

// clone copies the answers deeply enough that ApplyDefaults on the copy leaves a alone.
func (a *Answers) clone() *Answers {
	c := *a
	c.Masters = append([]Master(nil), a.Masters...)
	c.Workers = append([]Worker(nil), a.Workers...)
	c.MasterService.Certificate.ExtraNames = append([]string(nil), a.MasterService.Certificate.ExtraNames...)
	return &c
}

func validateTop(r *report, a *Answers) {
	r.check("sqlVersion", rule("sqlVersion")(number(a.SQLVersion)))
	r.check("domain", rule("domain")(a.Domain))
	r.check("cluster.name", rule("cluster.name")(a.Cluster.Name))
	if w := a.Cluster.Witness; w != "" {
		err := rule("cluster.witness")(w)
		r.check("cluster.witness", err)
		if err == nil {
			server := witnessServer(w)
			for _, m := range a.Masters {
				if server == strings.ToLower(m.Host) || server == strings.ToLower(shortName(m.Host)) {
					r.addPair("cluster.witness", "masters", fmt.Sprintf("the witness share is on %s, a node of the cluster; it would fail with the node it is meant to outvote", m.Host),
						"put the share on a server outside the cluster, such as a file server")
				}
			}
		}
	}
	if a.SetupMedia != "" && !isWindowsAbsPath(a.SetupMedia) {
		r.add("setupMedia", fmt.Sprintf("%s is not a full Windows path", quote(a.SetupMedia)), `type the path of setup.exe on the nodes, such as C:\SQLMedia\setup.exe`)
	}
	if l := a.Logging.Login; len(l) > 128 || strings.ContainsAny(l, `\[]`) {
		r.add("logging.login", fmt.Sprintf("%s is not a SQL Server login name ssisha can use", quote(l)), "leave it out to use "+DefaultLoggingLogin)
	}
}

func isWindowsAbsPath(p string) bool {
	if strings.HasPrefix(p, `\\`) {
		return len(p) > 2
	}
	return len(p) >= 3 && isAlnum(rune(p[0])) && p[1] == ':' && (p[2] == '\\' || p[2] == '/')
}

func validateMasters(r *report, a *Answers) {
	if len(a.Masters) < 2 {
		r.add("masters", fmt.Sprintf("%d master node(s) given; high availability needs at least two", len(a.Masters)), "add the secondary replica's node under masters")
	}
	for i, m := range a.Masters {
		p := fmt.Sprintf("masters[%d]", i)
		r.check(p+".host", rule(p+".host")(m.Host))
		r.check(p+".sqlInstance", rule(p+".sqlInstance")(m.SQLInstance))
		checkOverride(r, p+".winrm", m.WinRM)
		checkOverride(r, p+".sql", m.SQL)
	}
}

func checkOverride(r *report, path string, o Address) {
	if o.Address != "" {
		r.check(path+".address", validateAddress(o.Address))
	}
	if o.Port != 0 {
		r.check(path+".port", ValidatePort(o.Port))
	}
}

func validateMasterService(r *report, a *Answers) {
	ms := a.MasterService
	r.check("masterService.account", rule("masterService.account")(ms.Account))
	checkAccountDomain(r, a, "masterService.account", ms.Account)
	r.check("masterService.dnsName", rule("masterService.dnsName")(ms.DNSName))
	r.check("masterService.staticAddress", rule("masterService.staticAddress")(ms.StaticAddress))
	r.check("masterService.port", rule("masterService.port")(strconv.Itoa(ms.Port)))
	cert := ms.Certificate
	switch {
	case cert.Generate && cert.Thumbprint != "":
		r.add("masterService.certificate", "both generate and thumbprint are set", "keep one: generate: true for a new certificate, or thumbprint: for an existing one")
	case !cert.Generate && cert.Thumbprint == "":
		r.add("masterService.certificate", "neither generate nor thumbprint is set", "add generate: true, or thumbprint: with the existing certificate's thumbprint")
	case cert.Thumbprint != "":
		r.check("masterService.certificate.thumbprint", rule("masterService.certificate.thumbprint")(cert.Thumbprint))
	}
	for i, n := range cert.ExtraNames {
		r.check(fmt.Sprintf("masterService.certificate.extraNames[%d]", i), ValidateHostName(n))
	}
}

func checkAccountDomain(r *report, a *Answers, path, account string) {
	domain, _, ok := strings.Cut(account, `\`)
	if !ok || ValidateDomainName(a.Domain) != nil || ValidateDomainAccount(account, false) != nil {
		return
	}
	if !strings.EqualFold(domain, a.Domain) {
		r.addPair(path, "domain", fmt.Sprintf("the account is in domain %s, but domain is %s", domain, a.Domain), "use an account of the nodes' domain, or correct domain")
	}
}

func validateAG(r *report, a *Answers) {
	ag := a.AvailabilityGroup
	r.check("availabilityGroup.name", rule("availabilityGroup.name")(ag.Name))
	r.check("availabilityGroup.endpointPort", rule("availabilityGroup.endpointPort")(strconv.Itoa(ag.EndpointPort)))
	l := ag.Listener
	r.check("availabilityGroup.listener.dnsName", rule("availabilityGroup.listener.dnsName")(l.DNSName))
	r.check("availabilityGroup.listener.port", rule("availabilityGroup.listener.port")(strconv.Itoa(l.Port)))
	r.check("availabilityGroup.listener.staticAddress", rule("availabilityGroup.listener.staticAddress")(l.StaticAddress))
	checkOverride(r, "availabilityGroup.listener.connect", l.Connect)
}

func validateWorkers(r *report, a *Answers) {
	for i, w := range a.Workers {
		p := fmt.Sprintf("workers[%d]", i)
		r.check(p+".host", rule(p+".host")(w.Host))
		r.check(p+".account", rule(p+".account")(w.Account))
		checkAccountDomain(r, a, p+".account", w.Account)
		checkOverride(r, p+".winrm", w.WinRM)
		if i > 0 && ValidateDomainAccount(w.Account, false) == nil && ValidateDomainAccount(a.Workers[0].Account, false) == nil && !strings.EqualFold(w.Account, a.Workers[0].Account) {
			r.addPair(p+".account", "workers[0].account", fmt.Sprintf("%s differs from workers[0].account %s, but ssisha takes one worker account password (%s)", w.Account, a.Workers[0].Account, EnvWorkerAccountPassword), "use one account for every worker")
		}
	}
}

func validateConnection(r *report, a *Answers) {
	w := a.Connection.WinRM
	switch {
	case rule("connection.winrm.auth")(w.Auth) != nil:
		r.check("connection.winrm.auth", rule("connection.winrm.auth")(w.Auth))
	case w.Auth == remote.WinRMAuthBasic && !w.HTTPS && !w.AllowBasicOverHTTP:
		r.add("connection.winrm.auth", "basic sends the password readable over plain HTTP", "set https: true, or choose ntlm or kerberos (allowBasicOverHttp: true accepts the risk)")
	case w.Auth == remote.WinRMAuthCertificate && !w.HTTPS:
		r.add("connection.winrm.auth", "certificate authentication works only over HTTPS", "set https: true")
	case w.Auth == remote.WinRMAuthCertificate && (w.CertFile == "" || w.KeyFile == ""):
		r.add("connection.winrm.auth", "certificate authentication needs the client certificate and its key", "give both connection.winrm.certFile and connection.winrm.keyFile (PEM files)")
	}
	r.check("connection.winrm.user", rule("connection.winrm.user")(w.User))
	s := a.Connection.SQL
	r.check("connection.sql.auth", rule("connection.sql.auth")(s.Auth))
	r.check("connection.sql.encrypt", rule("connection.sql.encrypt")(s.Encrypt))
	if s.Encrypt == remote.EncryptStrict {
		if rel, ok := sqlversion.ByYear(a.SQLVersion); ok && !rel.StrictTDS {
			r.add("connection.sql.encrypt", fmt.Sprintf("strict is TDS 8.0, which SQL Server %s does not speak (sqlVersion)", rel.Name), "type true to encrypt with TLS inside TDS")
		}
	}
	if s.Auth == remote.SQLAuthSQL && s.User == "" {
		r.add("connection.sql.user", "sql authentication needs a login", "type the login in connection.sql.user, or set "+EnvSQLUser)
	}
}

// shortName is the first label of a host name, lower case: node1 and
// node1.contoso.com are the same computer in one domain.
func shortName(host string) string {
	s, _, _ := strings.Cut(strings.TrimSpace(host), ".")
	return strings.ToLower(s)
}

type namedHost struct {
	path, name string
}

func validateNames(r *report, a *Answers) {
	seen := map[string]string{}
	var nodes []namedHost
	for i, m := range a.Masters {
		nodes = append(nodes, namedHost{fmt.Sprintf("masters[%d].host", i), m.Host})
	}
	for i, w := range a.Workers {
		nodes = append(nodes, namedHost{fmt.Sprintf("workers[%d].host", i), w.Host})
	}
	for _, n := range nodes {
		s := shortName(n.name)
		if s == "" {
			continue
		}
		if first, dup := seen[s]; dup {
			what := "the same computer as " + first
			if strings.HasPrefix(first, "masters") && strings.HasPrefix(n.path, "workers") {
				r.addPair(n.path, first, fmt.Sprintf("%s is already a master node (%s); a master node cannot be a worker here", n.name, first), "remove it from workers, or name another machine")
				continue
			}
			r.addPair(n.path, first, fmt.Sprintf("%s is %s", n.name, what), "list each machine once")
			continue
		}
		seen[s] = n.path
	}
	virtual := []namedHost{
		{"cluster.name", a.Cluster.Name},
		{"availabilityGroup.listener.dnsName", a.AvailabilityGroup.Listener.DNSName},
		{"masterService.dnsName", a.MasterService.DNSName},
	}
	for i, v := range virtual {
		s := shortName(v.name)
		if s == "" {
			continue
		}
		for _, earlier := range virtual[:i] {
			if shortName(earlier.name) == s {
				r.addPair(v.path, earlier.path, fmt.Sprintf("%s is also %s; the cluster, the listener and the master's access point each need their own name", v.name, earlier.path), "type a different name")
			}
		}
		if node, clash := seen[s]; clash {
			r.addPair(v.path, node, fmt.Sprintf("%s is the name of the node in %s", v.name, node), "type a name no computer uses")
		}
	}
}

// validatePorts finds ports that two services would both listen on, on one master
// node. Ports of connection overrides with their own address are where ssisha
// connects, not where the node listens, so they are left out.
func validatePorts(r *report, a *Answers) {
	type use struct {
		path string // empty for fixed ports nobody typed
		what string
		port int
		def  int // the default, so a clash is blamed on the value someone changed
	}
	reported := map[string]bool{}
	for i, m := range a.Masters {
		uses := []use{
			{"masterService.port", "the master service", a.MasterService.Port, DefaultMasterPort},
			{"availabilityGroup.endpointPort", "the AG endpoint", a.AvailabilityGroup.EndpointPort, DefaultEndpointPort},
			{"availabilityGroup.listener.port", "the listener", a.AvailabilityGroup.Listener.Port, DefaultListenerPort},
			{"", "WinRM over HTTP", DefaultWinRMHTTPPort, DefaultWinRMHTTPPort},
			{"", "WinRM over HTTPS", DefaultWinRMHTTPSPort, DefaultWinRMHTTPSPort},
		}
		if m.WinRM.Address == "" && m.WinRM.Port != 0 && m.WinRM.Port != DefaultWinRMHTTPPort && m.WinRM.Port != DefaultWinRMHTTPSPort {
			uses = append(uses, use{fmt.Sprintf("masters[%d].winrm.port", i), "WinRM", m.WinRM.Port, 0})
		}
		switch {
		case m.SQL.Address == "" && m.SQL.Port != 0:
			uses = append(uses, use{fmt.Sprintf("masters[%d].sql.port", i), "SQL Server", m.SQL.Port, DefaultSQLPort})
		case m.SQL.Address == "":
			uses = append(uses, use{"", "SQL Server", DefaultSQLPort, DefaultSQLPort})
		}
		for j, x := range uses {
			for _, y := range uses[:j] {
				if x.port == 0 || x.port != y.port || x.path == y.path {
					continue
				}
				// The listener and the instance are the same SQL Server; sharing 1433 is usual.
				if x.what == "SQL Server" && y.what == "the listener" || x.path == "" && y.path == "" {
					continue
				}
				path, other := x.path, y
				if path == "" || y.path != "" && x.port == x.def && y.port != y.def {
					path, other = y.path, x
				}
				key := path + "|" + other.path + "|" + other.what
				if reported[key] {
					continue
				}
				reported[key] = true
				r.addPair(path, other.path, fmt.Sprintf("port %d is also the port of %s on %s", x.port, other.what, m.Host), "choose another port")
			}
		}
	}
}

func validateAddresses(r *report, a *Answers) {
	type addr struct {
		path string
		p    netip.Prefix
	}
	var list []addr
	for _, c := range []struct{ path, v string }{
		{"cluster.staticAddress", a.Cluster.StaticAddress},
		{"availabilityGroup.listener.staticAddress", a.AvailabilityGroup.Listener.StaticAddress},
		{"masterService.staticAddress", a.MasterService.StaticAddress},
	} {
		if c.v == "" {
			continue
		}
		p, err := parseIPv4Prefix(c.v)
		if c.path == "cluster.staticAddress" {
			r.check(c.path, err)
		}
		if err != nil {
			continue
		}
		list = append(list, addr{c.path, p})
	}
	for i, x := range list {
		for _, y := range list[:i] {
			switch {
			case x.p.Addr() == y.p.Addr():
				r.addPair(x.path, y.path, fmt.Sprintf("%s is also %s", x.p.Addr(), y.path), "give each cluster resource its own unused address")
			case x.p.Bits() != y.p.Bits():
				r.addPair(x.path, y.path, fmt.Sprintf("/%d differs from /%d of %s; addresses of one subnet share one prefix length, and ssisha sets up a single-subnet cluster", x.p.Bits(), y.p.Bits(), y.path), "use the nodes' subnet prefix length for every address")
			case x.p.Masked() != y.p.Masked():
				r.addPair(x.path, y.path, fmt.Sprintf("%s is not in %s, the subnet of %s; ssisha sets up a single-subnet cluster", x.p.Addr(), y.p.Masked(), y.path), "type an address of the nodes' subnet")
			}
		}
	}
}
