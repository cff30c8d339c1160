package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps/answers"
)

// question is one answer the wizard asks for: its place in the answer file (the key is
// the YAML path, which is also what Backend.CheckField receives), its texts, its
// syntax check and whether a network fact stands behind it.
type question struct {
	key, title, desc, help string
	group                  int
	options                []string // a choice instead of free text
	validate               func(string) error
	network                bool
	secret                 *answers.SecretSpec
	value                  *string
}

// questionGroups are the pages of the questions, in the order a DBA thinks of them.
var questionGroups = []string{
	"Nodes and version", "Accounts", "Master service", "Availability group",
	"Workers", "Connection", "Secrets",
}

// sqlVersionHelp names the supported releases and shows how one names the services.
func sqlVersionHelp() string {
	r, _ := sqlversion.ByYear(sqlversion.Default)
	return fmt.Sprintf("%s. Scale Out services and paths carry the version (%s for %s).", sqlversion.NameList(), r.MasterService, r.Name)
}

// splitList splits a typed list of names at commas, semicolons and any white space
// (a tab or a form feed pasted from elsewhere too), so no name is empty.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

func hostList(v string) error {
	hosts := splitList(v)
	if len(hosts) == 0 {
		return errors.New("type at least one host name, separated by commas")
	}
	for i, h := range hosts {
		if err := answers.ValidateHostName(h); err != nil {
			return fmt.Errorf("host %d (%s): %w", i+1, h, err)
		}
	}
	return nil
}

func masterList(v string) error {
	if err := hostList(v); err != nil {
		return err
	}
	if len(splitList(v)) < 2 {
		return errors.New("high availability needs at least two master nodes; add the second replica")
	}
	return nil
}

func port(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a port number; type a number from 1 to 65535", v)
	}
	return answers.ValidatePort(n)
}

func optional(f func(string) error) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return f(v)
	}
}

func required(what string) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%s is empty; type a name", what)
		}
		return nil
	}
}

// newQuestions builds the questions from the answers (and which secrets are needed).
func newQuestions(a *answers.Answers, s *answers.Secrets) []*question {
	str := func(v string) *string { return &v }
	num := func(n int) *string {
		if n == 0 {
			return str("")
		}
		return str(strconv.Itoa(n))
	}
	yes := func(b bool) *string {
		if b {
			return str("true")
		}
		return str("false")
	}
	workerAccount := ""
	if len(a.Workers) > 0 {
		workerAccount = a.Workers[0].Account
	}
	thumb := a.MasterService.Certificate.Thumbprint
	qs := []*question{
		{key: "masters", group: 0, title: "Master nodes", desc: "SQL Server replicas that run the master; the first is the primary.",
			help:     "Fully qualified host names, separated by commas. Each must run SQL Server with SSIS Scale Out Master installed (or installable) and answer WinRM.",
			validate: masterList, network: true, value: str(strings.Join(a.MasterHosts(), ", "))},
		{key: "sqlVersion", group: 0, title: "SQL Server version", desc: "Names the services and folders; detect reads it from the nodes.",
			help:    sqlVersionHelp(),
			options: append([]string{""}, sqlversion.Names()...), value: num(a.SQLVersion)},
		{key: "domain", group: 0, title: "Domain (NetBIOS)", desc: "The NetBIOS name of the domain the nodes and accounts are in.",
			help: "For example CONTOSO. Service accounts are written DOMAIN\\user.", validate: answers.ValidateNetBIOSName, value: str(a.Domain)},
		{key: "cluster.name", group: 0, title: "Failover cluster name", desc: "The WSFC the master nodes belong to (at most 15 characters).",
			help:     "ssisha checks that the cluster exists and holds every master node, or creates it when cluster.create is set.",
			validate: answers.ValidateNetBIOSName, network: true, value: str(a.Cluster.Name)},
		{key: "cluster.witness", group: 0, title: "Cluster file share witness", desc: "UNC path of a share outside the cluster; empty leaves the quorum as it is.",
			help:     "Two nodes without a witness lose quorum when the node holding the vote fails, and the master with it. Give a share on a file server, such as \\\\fs01.contoso.com\\witness\\SSISCL; the cluster's computer object needs Full Control on it.",
			validate: optional(answers.ValidateFileShareWitness), network: true, value: str(a.Cluster.Witness)},

		{key: "masterService.account", group: 1, title: "Master service account", desc: "Domain account the Scale Out Master service runs as on every node.",
			help:     "It must be a domain account (DOMAIN\\user), never a virtual account such as NT Service\\..., so that it can log in to SSISDB on whichever replica is primary.",
			validate: func(v string) error { return answers.ValidateDomainAccount(v, true) }, network: true, value: str(a.MasterService.Account)},
		{key: "workers.account", group: 1, title: "Worker service account", desc: "Account the Scale Out Worker service runs as.",
			help: "A domain account, or empty to keep the account the worker service has now.", validate: optional(func(v string) error { return answers.ValidateDomainAccount(v, false) }), value: str(workerAccount)},

		{key: "masterService.dnsName", group: 2, title: "Master DNS name", desc: "Client access point of the master role; workers connect to it.",
			help:     "A new DNS name for the cluster role, for example ssismaster.contoso.com. The master certificate must carry it; workers use https://<name>:<port>.",
			validate: answers.ValidateHostName, network: true, value: str(a.MasterService.DNSName)},
		{key: "masterService.staticAddress", group: 2, title: "Master IP address", desc: "Static IPv4 address with prefix for the role, e.g. 10.0.0.60/24.",
			help: "An unused address in the nodes' subnet; the cluster brings it online with the role.", validate: answers.ValidateIPv4Prefix, network: true, value: str(a.MasterService.StaticAddress)},
		{key: "masterService.port", group: 2, title: "Master port", desc: "HTTPS port of the master service (default 8391).",
			help: "The port the master listens on, on every node; the firewall must allow it.", validate: port, network: true, value: num(a.MasterService.Port)},
		{key: "masterService.certificate.thumbprint", group: 2, title: "Certificate thumbprint", desc: "Empty: generate one for the DNS name; or an existing certificate.",
			help:     "40 hex characters of a certificate in LocalMachine\\My on the primary whose names include the master DNS name.",
			validate: optional(answers.ValidateThumbprint), network: true, value: str(thumb)},

		{key: "availabilityGroup.name", group: 3, title: "Availability group", desc: "The AG that holds SSISDB.", help: "Created on the primary with every master node as a replica.",
			validate: required("the availability group name"), network: true, value: str(a.AvailabilityGroup.Name)},
		{key: "availabilityGroup.endpointPort", group: 3, title: "Endpoint port", desc: "Database mirroring endpoint port (default 5022).", help: "Each replica listens on it for the AG's data movement.",
			validate: port, network: true, value: num(a.AvailabilityGroup.EndpointPort)},
		{key: "availabilityGroup.listener.dnsName", group: 3, title: "Listener DNS name", desc: "Name the master and workers use to reach SSISDB.", help: "At most 15 characters; it becomes a computer object in AD.",
			validate: answers.ValidateNetBIOSName, network: true, value: str(a.AvailabilityGroup.Listener.DNSName)},
		{key: "availabilityGroup.listener.port", group: 3, title: "Listener port", desc: "TCP port of the listener (default 1433).", help: "The master's connection string names listener,port.",
			validate: port, value: num(a.AvailabilityGroup.Listener.Port)},
		{key: "availabilityGroup.listener.staticAddress", group: 3, title: "Listener IP address", desc: "Static IPv4 address with prefix, e.g. 10.0.0.50/24.", help: "An unused address in the nodes' subnet.",
			validate: answers.ValidateIPv4Prefix, network: true, value: str(a.AvailabilityGroup.Listener.StaticAddress)},

		{key: "workers", group: 4, title: "Worker hosts", desc: "Machines that run Scale Out Worker; empty for none.", help: "Host names separated by commas. Each gets the master certificate and points at the master DNS name.",
			validate: optional(hostList), network: true, value: str(strings.Join(a.WorkerHosts(), ", "))},

		{key: "connection.winrm.auth", group: 5, title: "WinRM authentication", desc: "How ssisha logs in to the nodes.", help: "ntlm works from any client; kerberos needs a ticket; basic only over HTTPS; certificate needs certFile and keyFile in the answer file.",
			options: remote.WinRMAuthModes(), value: str(a.Connection.WinRM.Auth)},
		{key: "connection.winrm.https", group: 5, title: "WinRM over HTTPS", desc: "Port 5986 with TLS (recommended) or 5985.", help: "With HTTPS, caFile names the CA that signed the nodes' WinRM certificates.",
			options: []string{"true", "false"}, value: yes(a.Connection.WinRM.HTTPS)},
		{key: "connection.winrm.user", group: 5, title: "WinRM user", desc: "DOMAIN\\user ssisha connects as; empty for the current user.", help: "An administrator on every node.",
			validate: optional(func(v string) error { return answers.ValidateDomainAccount(v, false) }), value: str(a.Connection.WinRM.User)},
		{key: "connection.sql.auth", group: 5, title: "SQL authentication", desc: "windows (integrated) or sql (a login and password).", help: "The login must be sysadmin on every replica.",
			options: remote.SQLAuthModes(), value: str(a.Connection.SQL.Auth)},
	}
	for _, spec := range secretSpecsToAsk(a, s) {
		login := ""
		if spec.Kind == answers.LoggingPassword {
			login = a.Logging.Login
		}
		qs = append(qs, &question{
			key: spec.Env, group: secretsGroup, title: spec.Label, desc: spec.Help,
			help:     "Masked; never written to the answer file or any log. Also read from the environment variable " + spec.Env + ".",
			validate: func(v string) error { return answers.ValidatePassword(spec.Kind, v, login) },
			secret:   &spec, value: str(s.Get(spec.Env).Reveal()),
		})
	}
	return qs
}

// secretSpecsToAsk are the secrets the answers need, whether set already or not.
func secretSpecsToAsk(a *answers.Answers, s *answers.Secrets) []answers.SecretSpec {
	missing := map[string]bool{}
	for _, sp := range s.Missing(a) {
		missing[sp.Env] = true
	}
	var out []answers.SecretSpec
	for _, sp := range answers.SecretSpecs() {
		if missing[sp.Env] || !s.Get(sp.Env).IsZero() {
			out = append(out, sp)
		}
	}
	return out
}

// applyQuestions writes the typed values into a (and secrets into s when not nil).
func applyQuestions(qs []*question, a *answers.Answers, s *answers.Secrets) error {
	for _, q := range qs {
		v := strings.TrimSpace(*q.value)
		if q.secret != nil {
			if s != nil && *q.value != "" {
				if err := s.Set(q.secret.Env, *q.value); err != nil {
					return err
				}
			}
			continue
		}
		atoi := func() int { n, _ := strconv.Atoi(v); return n }
		switch q.key {
		case "masters":
			a.Masters = rehost(a.Masters, splitList(v), func(m *answers.Master, h string) { m.Host = h })
		case "sqlVersion":
			a.SQLVersion = atoi()
		case "domain":
			a.Domain = v
		case "cluster.name":
			a.Cluster.Name = v
		case "cluster.witness":
			a.Cluster.Witness = v
		case "masterService.account":
			a.MasterService.Account = v
		case "masterService.dnsName":
			a.MasterService.DNSName = v
		case "masterService.staticAddress":
			a.MasterService.StaticAddress = v
		case "masterService.port":
			a.MasterService.Port = atoi()
		case "masterService.certificate.thumbprint":
			a.MasterService.Certificate.Thumbprint = v
			a.MasterService.Certificate.Generate = v == ""
		case "availabilityGroup.name":
			a.AvailabilityGroup.Name = v
		case "availabilityGroup.endpointPort":
			a.AvailabilityGroup.EndpointPort = atoi()
		case "availabilityGroup.listener.dnsName":
			a.AvailabilityGroup.Listener.DNSName = v
		case "availabilityGroup.listener.port":
			a.AvailabilityGroup.Listener.Port = atoi()
		case "availabilityGroup.listener.staticAddress":
			a.AvailabilityGroup.Listener.StaticAddress = v
		case "connection.winrm.auth":
			a.Connection.WinRM.Auth = v
		case "connection.winrm.https":
			a.Connection.WinRM.HTTPS = v == "true"
		case "connection.winrm.user":
			a.Connection.WinRM.User = v
		case "connection.sql.auth":
			a.Connection.SQL.Auth = v
		}
	}
	// Workers come last because the account question applies to each of them.
	var account string
	for _, q := range qs {
		if q.key == "workers.account" {
			account = strings.TrimSpace(*q.value)
		}
	}
	for _, q := range qs {
		if q.key != "workers" {
			continue
		}
		ws := rehost(a.Workers, splitList(*q.value), func(w *answers.Worker, h string) { w.Host = h })
		if account != "" {
			for i := range ws {
				ws[i].Account = account
			}
		}
		a.Workers = ws
	}
	return nil
}

// rehost is the nodes for the typed hosts, in their order: the i-th host keeps what
// else the i-th node had (its settings), and a host past the old nodes is a new one.
func rehost[T any](old []T, hosts []string, setHost func(*T, string)) []T {
	var out []T
	for i, h := range hosts {
		var n T
		if i < len(old) {
			n = old[i]
		}
		setHost(&n, h)
		out = append(out, n)
	}
	return out
}
