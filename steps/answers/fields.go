package answers

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/sqlversion"
)

// Group is a page of the wizard: fields a DBA thinks of together.
type Group int

// The groups, in the order the wizard asks them. FileOnly fields are not asked: they
// are elements of a list the wizard asks as one field, or settings only a file holds.
const (
	FileOnly Group = iota - 1
	GroupNodes
	GroupAccounts
	GroupMasterService
	GroupAvailabilityGroup
	GroupWorkers
	GroupConnection
	GroupSecrets
)

var groupTitles = []string{
	"Nodes and version", "Accounts", "Master service", "Availability group",
	"Workers", "Connection", "Secrets",
}

// GroupTitles are the titles of the groups, in order; the index is the Group.
func GroupTitles() []string { return append([]string(nil), groupTitles...) }

// NetworkCheck names the fact on the network behind a field, which the steps check
// live (steps.CheckField) from the primary node.
type NetworkCheck int

// The network checks.
const (
	NoCheck          NetworkCheck = iota
	CheckHost                     // the host resolves and answers WinRM
	CheckNameFree                 // the cluster network name is free in DNS and AD, or already ours
	CheckAddressFree              // the address is unused, or already ours
	CheckAccount                  // the domain account exists and is enabled
	CheckThumbprint               // the certificate is on the primary, with its key and the access point's name
	CheckWitness                  // the witness share's server resolves
	// No field carries these yet: steps.CheckField has no live check for them, and a
	// field that promised one would show a check that never runs. Preflight checks the
	// ports and the availability group on every node.
	CheckPortFree // no node listens on the port
	CheckAGFree   // no availability group of that name exists, or it is ours
)

// Field is one answer: where it sits in the answer file, how the wizard asks for it,
// the rule of a typed value, and the network fact behind it. Validate, the wizard and
// the live field checks all read the rule and the check from here.
type Field struct {
	// Path is the YAML path; list elements have [] for the index (masters[].host).
	// The wizard asks the hosts of a list as one field, whose path is the list's.
	Path  string
	Group Group
	Label string // the wizard's title of the field
	Desc  string // one line under the title
	Help  string // the field help
	// Choices are the values to pick from; nil for free text.
	Choices []string
	// Validate is the rule of one typed value (trimmed); nil accepts anything. Rules
	// across fields (duplicates, subnets, ports that clash) are Validate's (the
	// function's), run over the whole answers.
	Validate func(string) error
	Check    NetworkCheck
	// List says the value is a list of hosts typed as one; Check applies to each.
	List bool

	get func(*Answers) string
	set func(*Answers, string)
	// late fields are applied after the others: the worker account applies to the
	// workers the hosts field makes.
	late bool
}

// Get is the field's value in a as the wizard shows it: a list joined with ", ", a
// number empty when zero.
func (f Field) Get(a *Answers) string {
	if f.get == nil {
		return ""
	}
	return f.get(a)
}

// Asked says whether the wizard asks the field.
func (f Field) Asked() bool { return f.Group != FileOnly && f.set != nil }

// Fields returns every field, the wizard's in the order it asks them, then those only
// an answer file holds.
func Fields() []Field { return append([]Field(nil), fields...) }

// FieldByPath returns the field of a path; an index in the path (masters[1].host)
// matches the field's [] (masters[].host).
func FieldByPath(path string) (Field, bool) {
	path = fieldIndex.ReplaceAllString(path, "[]")
	for _, f := range fields {
		if f.Path == path {
			return f, true
		}
	}
	return Field{}, false
}

var fieldIndex = regexp.MustCompile(`\[\d+\]`)

// ApplyFields writes the wizard's typed values (by path; trimmed here) into a. Paths
// not given are left alone; hosts typed for a list keep the settings of the node they
// replace, by position.
func ApplyFields(a *Answers, values map[string]string) {
	for _, late := range []bool{false, true} {
		for _, f := range fields {
			v, ok := values[f.Path]
			if ok && f.set != nil && f.late == late {
				f.set(a, strings.TrimSpace(v))
			}
		}
	}
}

// SplitList splits a typed list of names at commas, semicolons and any white space
// (a tab or a form feed pasted from elsewhere too), so no name is empty.
func SplitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// ValidateHostList checks hosts typed as one list: at least one, each a host name.
func ValidateHostList(v string) error {
	hosts := SplitList(v)
	if len(hosts) == 0 {
		return errors.New("type at least one host name, separated by commas")
	}
	for i, h := range hosts {
		if err := ValidateHostName(h); err != nil {
			return fmt.Errorf("host %d (%s): %w", i+1, h, err)
		}
	}
	return nil
}

// ValidateMasterList checks the master nodes typed as one list: two at least.
func ValidateMasterList(v string) error {
	if err := ValidateHostList(v); err != nil {
		return err
	}
	if len(SplitList(v)) < 2 {
		return errors.New("high availability needs at least two master nodes; add the second replica")
	}
	return nil
}

// ValidatePortText checks a typed TCP port number.
func ValidatePortText(v string) error {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return fmt.Errorf("%q is not a port number; type a number from 1 to 65535", v)
	}
	return ValidatePort(n)
}

// validateSQLVersionText checks a typed release year; empty means detect it.
func validateSQLVersionText(v string) error {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return bad("%q is not a SQL Server version", "type "+sqlversion.NameList()+", or leave it out to detect it from the nodes", v)
	}
	return ValidateSQLVersion(n)
}

// optional accepts an empty value and checks any other with f.
func optional(f func(string) error) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return f(v)
	}
}

// newNameRule is the rule of a cluster network name given as a DNS name: a host
// name whose first label is also a NetBIOS name. The name must be new, so a problem's
// example is example, a new name of its kind, never a node's.
func newNameRule(example string) func(string) error {
	return func(v string) error {
		err := ValidateHostName(v)
		if err == nil {
			short, _, _ := strings.Cut(v, ".")
			err = ValidateNetBIOSName(short)
		}
		var p *problem
		if errors.As(err, &p) && strings.HasPrefix(p.fix, "type ") {
			return &problem{what: p.what, fix: "type a new name, such as " + example}
		}
		return err
	}
}

// staticAddress is the rule of a cluster resource's address, which must be given.
func staticAddress(of, example string) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return bad("no address given for "+of, "type an unused address of the nodes' subnet, such as "+example)
		}
		return ValidateIPv4Prefix(v)
	}
}

// choice accepts one of modes; another value "is not" what.
func choice(modes []string, what string) func(string) error {
	return func(v string) error {
		if slices.Contains(modes, v) {
			return nil
		}
		return bad("%q is not "+what, "type "+orList(modes), v)
	}
}

// rule is the registry's rule of a path, for Validate; every path it checks has one.
func rule(path string) func(string) error {
	f, ok := FieldByPath(path)
	if !ok || f.Validate == nil {
		panic("answers: no rule for field " + path)
	}
	return f.Validate
}

func masterAccount(v string) error { return ValidateDomainAccount(v, true) }
func workerAccount(v string) error { return ValidateDomainAccount(v, false) }

func number(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func atoi(v string) int { n, _ := strconv.Atoi(v); return n }

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

var fields = []Field{
	{Path: "masters", Group: GroupNodes, Label: "Master nodes", Desc: "SQL Server replicas that run the master; the first is the primary.",
		Help:     "Fully qualified host names, separated by commas. Each must run SQL Server with SSIS Scale Out Master installed (or installable) and answer WinRM.",
		Validate: ValidateMasterList, Check: CheckHost, List: true,
		get: func(a *Answers) string { return strings.Join(a.MasterHosts(), ", ") },
		set: func(a *Answers, v string) {
			a.Masters = rehost(a.Masters, SplitList(v), func(m *Master, h string) { m.Host = h })
		}},
	{Path: "sqlVersion", Group: GroupNodes, Label: "SQL Server version", Desc: "Names the services and folders; detect reads it from the nodes.",
		Help: sqlVersionHelp(), Choices: append([]string{""}, sqlversion.Names()...), Validate: validateSQLVersionText,
		get: func(a *Answers) string { return number(a.SQLVersion) },
		set: func(a *Answers, v string) { a.SQLVersion = atoi(v) }},
	{Path: "domain", Group: GroupNodes, Label: "Domain (NetBIOS)", Desc: "The NetBIOS name of the domain the nodes and accounts are in.",
		Help: "For example CONTOSO. Service accounts are written DOMAIN\\user.", Validate: ValidateDomainName,
		get: func(a *Answers) string { return a.Domain },
		set: func(a *Answers, v string) { a.Domain = v }},
	{Path: "cluster.name", Group: GroupNodes, Label: "Failover cluster name", Desc: "The WSFC the master nodes belong to (at most 15 characters).",
		Help:     "ssisha checks that the cluster exists and holds every master node, or creates it when cluster.create is set.",
		Validate: ValidateNetBIOSName, Check: CheckNameFree,
		get: func(a *Answers) string { return a.Cluster.Name },
		set: func(a *Answers, v string) { a.Cluster.Name = v }},
	{Path: "cluster.witness", Group: GroupNodes, Label: "Cluster file share witness", Desc: "UNC path of a share outside the cluster; empty leaves the quorum as it is.",
		Help:     "Two nodes without a witness lose quorum when the node holding the vote fails, and the master with it. Give a share on a file server, such as \\\\fs01.contoso.com\\witness\\SSISCL; the cluster's computer object needs Full Control on it.",
		Validate: optional(ValidateFileShareWitness), Check: CheckWitness,
		get: func(a *Answers) string { return a.Cluster.Witness },
		set: func(a *Answers, v string) { a.Cluster.Witness = v }},

	{Path: "masterService.account", Group: GroupAccounts, Label: "Master service account", Desc: "Domain account the Scale Out Master service runs as on every node.",
		Help:     "It must be a domain account (DOMAIN\\user), never a virtual account such as NT Service\\..., so that it can log in to SSISDB on whichever replica is primary.",
		Validate: masterAccount, Check: CheckAccount,
		get: func(a *Answers) string { return a.MasterService.Account },
		set: func(a *Answers, v string) { a.MasterService.Account = v }},

	{Path: "masterService.dnsName", Group: GroupMasterService, Label: "Master DNS name", Desc: "Client access point of the master role; workers connect to it.",
		Help:     "A new DNS name for the cluster role, for example ssismaster.contoso.com. The master certificate must carry it; workers use https://<name>:<port>.",
		Validate: newNameRule("ssismaster.contoso.com"), Check: CheckNameFree,
		get: func(a *Answers) string { return a.MasterService.DNSName },
		set: func(a *Answers, v string) { a.MasterService.DNSName = v }},
	{Path: "masterService.staticAddress", Group: GroupMasterService, Label: "Master IP address", Desc: "Static IPv4 address with prefix for the role, e.g. 10.0.0.60/24.",
		Help:     "An unused address in the nodes' subnet; the cluster brings it online with the role.",
		Validate: staticAddress("the master's client access point", "10.0.0.60/24"), Check: CheckAddressFree,
		get: func(a *Answers) string { return a.MasterService.StaticAddress },
		set: func(a *Answers, v string) { a.MasterService.StaticAddress = v }},
	{Path: "masterService.port", Group: GroupMasterService, Label: "Master port", Desc: "HTTPS port of the master service (default 8391).",
		Help: "The port the master listens on, on every node; the firewall must allow it.", Validate: ValidatePortText,
		get: func(a *Answers) string { return number(a.MasterService.Port) },
		set: func(a *Answers, v string) { a.MasterService.Port = atoi(v) }},
	{Path: "masterService.certificate.thumbprint", Group: GroupMasterService, Label: "Certificate thumbprint", Desc: "Empty: generate one for the DNS name; or an existing certificate.",
		Help:     "40 hex characters of a certificate in LocalMachine\\My on the primary whose names include the master DNS name.",
		Validate: optional(ValidateThumbprint), Check: CheckThumbprint,
		get: func(a *Answers) string { return a.MasterService.Certificate.Thumbprint },
		set: func(a *Answers, v string) {
			a.MasterService.Certificate.Thumbprint = v
			a.MasterService.Certificate.Generate = v == ""
		}},

	{Path: "availabilityGroup.name", Group: GroupAvailabilityGroup, Label: "Availability group", Desc: "The AG that holds SSISDB.", Help: "Created on the primary with every master node as a replica.",
		Validate: ValidateAGName,
		get:      func(a *Answers) string { return a.AvailabilityGroup.Name },
		set:      func(a *Answers, v string) { a.AvailabilityGroup.Name = v }},
	{Path: "availabilityGroup.endpointPort", Group: GroupAvailabilityGroup, Label: "Endpoint port", Desc: "Database mirroring endpoint port (default 5022).", Help: "Each replica listens on it for the AG's data movement.",
		Validate: ValidatePortText,
		get:      func(a *Answers) string { return number(a.AvailabilityGroup.EndpointPort) },
		set:      func(a *Answers, v string) { a.AvailabilityGroup.EndpointPort = atoi(v) }},
	{Path: "availabilityGroup.listener.dnsName", Group: GroupAvailabilityGroup, Label: "Listener DNS name", Desc: "Name the master and workers use to reach SSISDB.", Help: "A new name, short (SSISLSN) or fully qualified; at most 15 characters before the first dot, since it becomes a computer object in AD.",
		Validate: newNameRule("ssislsn.contoso.com"), Check: CheckNameFree,
		get: func(a *Answers) string { return a.AvailabilityGroup.Listener.DNSName },
		set: func(a *Answers, v string) { a.AvailabilityGroup.Listener.DNSName = v }},
	{Path: "availabilityGroup.listener.port", Group: GroupAvailabilityGroup, Label: "Listener port", Desc: "TCP port of the listener (default 1433).", Help: "The master's connection string names listener,port.",
		Validate: ValidatePortText,
		get:      func(a *Answers) string { return number(a.AvailabilityGroup.Listener.Port) },
		set:      func(a *Answers, v string) { a.AvailabilityGroup.Listener.Port = atoi(v) }},
	{Path: "availabilityGroup.listener.staticAddress", Group: GroupAvailabilityGroup, Label: "Listener IP address", Desc: "Static IPv4 address with prefix, e.g. 10.0.0.50/24.", Help: "An unused address in the nodes' subnet.",
		Validate: staticAddress("the listener", "10.0.0.50/24"), Check: CheckAddressFree,
		get: func(a *Answers) string { return a.AvailabilityGroup.Listener.StaticAddress },
		set: func(a *Answers, v string) { a.AvailabilityGroup.Listener.StaticAddress = v }},

	{Path: "workers", Group: GroupWorkers, Label: "Worker hosts", Desc: "Machines that run Scale Out Worker; empty for none.", Help: "Host names separated by commas. Each gets the master certificate and points at the master DNS name.",
		Validate: optional(ValidateHostList), Check: CheckHost, List: true,
		get: func(a *Answers) string { return strings.Join(a.WorkerHosts(), ", ") },
		set: func(a *Answers, v string) {
			a.Workers = rehost(a.Workers, SplitList(v), func(w *Worker, h string) { w.Host = h })
		}},

	{Path: "workers.account", Group: GroupWorkers, Label: "Worker service account", Desc: "Domain account the Scale Out Worker service runs as on every worker.",
		Help:     "One domain account (DOMAIN\\user) for every worker; needed when there are workers, and ssisha takes one password for it.",
		Validate: optional(workerAccount), Check: CheckAccount,
		get: func(a *Answers) string {
			if len(a.Workers) == 0 {
				return ""
			}
			return a.Workers[0].Account
		},
		set: func(a *Answers, v string) {
			if v == "" {
				return
			}
			for i := range a.Workers {
				a.Workers[i].Account = v
			}
		}, late: true},

	{Path: "connection.winrm.auth", Group: GroupConnection, Label: "WinRM authentication", Desc: "How ssisha logs in to the nodes.",
		Help:    "ntlm works from any client; kerberos needs a ticket; basic only over HTTPS; certificate needs certFile and keyFile in the answer file.",
		Choices: remote.WinRMAuthModes(), Validate: choice(remote.WinRMAuthModes(), "a WinRM authentication ssisha knows"),
		get: func(a *Answers) string { return a.Connection.WinRM.Auth },
		set: func(a *Answers, v string) { a.Connection.WinRM.Auth = v }},
	{Path: "connection.winrm.https", Group: GroupConnection, Label: "WinRM over HTTPS", Desc: "Port 5986 with TLS (recommended) or 5985.", Help: "With HTTPS, caFile names the CA that signed the nodes' WinRM certificates.",
		Choices: []string{"true", "false"},
		get: func(a *Answers) string {
			if a.Connection.WinRM.HTTPS {
				return "true"
			}
			return "false"
		},
		set: func(a *Answers, v string) { a.Connection.WinRM.HTTPS = v == "true" }},
	{Path: "connection.winrm.user", Group: GroupConnection, Label: "WinRM user", Desc: "DOMAIN\\user ssisha connects as; empty for the current user.", Help: "An administrator on every node.",
		Validate: optional(ValidateLoginUser),
		get:      func(a *Answers) string { return a.Connection.WinRM.User },
		set:      func(a *Answers, v string) { a.Connection.WinRM.User = v }},
	{Path: "connection.sql.auth", Group: GroupConnection, Label: "SQL authentication", Desc: "windows (integrated) or sql (a login and password).", Help: "The login must be sysadmin on every replica.",
		Choices: remote.SQLAuthModes(), Validate: choice(remote.SQLAuthModes(), "a SQL Server authentication ssisha knows"),
		get: func(a *Answers) string { return a.Connection.SQL.Auth },
		set: func(a *Answers, v string) { a.Connection.SQL.Auth = v }},

	{Path: "masters[].host", Group: FileOnly, Label: "Master node", Validate: ValidateHostName, Check: CheckHost},
	{Path: "masters[].sqlInstance", Group: FileOnly, Label: "SQL Server instance", Validate: ValidateInstanceName},
	{Path: "workers[].host", Group: FileOnly, Label: "Worker host", Validate: ValidateHostName, Check: CheckHost},
	{Path: "workers[].account", Group: FileOnly, Label: "Worker service account", Validate: workerAccount, Check: CheckAccount},
	{Path: "cluster.staticAddress", Group: FileOnly, Label: "Cluster IP address", Validate: optional(ValidateIPv4Prefix), Check: CheckAddressFree},
	{Path: "connection.sql.encrypt", Group: FileOnly, Label: "TDS encryption", Choices: remote.EncryptModes(),
		Validate: choice(remote.EncryptModes(), "an encryption mode")},
}

// sqlVersionHelp names the supported releases and shows how one names the services.
func sqlVersionHelp() string {
	r, _ := sqlversion.ByYear(sqlversion.Default)
	return fmt.Sprintf("%s. Scale Out services and paths carry the version (%s for %s).", sqlversion.NameList(), r.MasterService, r.Name)
}
