package estate

import (
	"crypto/rand"
	"crypto/sha1"
	"fmt"
	"math/big"
	"strings"

	"github.com/ssisha/ssisha/sqlversion"
)

// SeedOptions shape the starting estate of a new lab.
type SeedOptions struct {
	Domain     string // NetBIOS domain; default CONTOSO
	DNSSuffix  string // default contoso.com
	Masters    int    // master nodes; default 2
	Workers    int    // workers; default 2
	SQLVersion int    // a year of the sqlversion table; default sqlversion.Default
	// EngineAccount is what the database engines run as: "domain" (the default, the
	// domain account svc_sql) or "virtual" (NT Service\MSSQLSERVER, setup's default),
	// which reaches other instances as the computer account DOMAIN\HOST$.
	EngineAccount string
	// Instance names the masters' SQL Server instance; "" or MSSQLSERVER is the
	// default instance.
	Instance string
	// SettingsFormat is how setup writes MasterSettings.config and WorkerSettings.config:
	// SettingsJSON (the default) or SettingsXML.
	SettingsFormat string
	// Passwords of the domain accounts, by lower-case DOMAIN\user; generated when absent.
	Passwords map[string]string
}

// AdminAccount is the lab's administrator: local admin on every node and sysadmin on
// every instance, as the DBA running ssisha is on a real estate.
const AdminAccount = "dba"

// Lab domain accounts besides the admin.
const (
	sqlServiceAccount    = "svc_sql"
	MasterServiceAccount = "svc_ssismaster"
	WorkerServiceAccount = "svc_ssisworker"
)

// SetupMediaPath is where the seed puts SQL Server setup on every node.
const SetupMediaPath = `C:\SQLMedia\setup.exe`

// ProductVersion is the SQL Server build the seed installs for a release year; an
// unknown year gets the default release's.
func ProductVersion(year int) string {
	if r, ok := sqlversion.ByYear(year); ok {
		return r.Build
	}
	r, _ := sqlversion.ByYear(sqlversion.Default)
	return r.Build
}

// NewEstate returns the starting estate: master nodes with the SQL Server engine
// installed (Enterprise, mixed mode, Always On not yet enabled), workers with nothing
// of SSIS, the domain accounts, and DNS for every node. Nothing of Scale Out exists.
func NewEstate(o SeedOptions) *Estate {
	if o.Domain == "" {
		o.Domain = "CONTOSO"
	}
	if o.DNSSuffix == "" {
		o.DNSSuffix = "contoso.com"
	}
	if o.Masters == 0 {
		o.Masters = 2
	}
	if o.SQLVersion == 0 {
		o.SQLVersion = sqlversion.Default
	}
	e := &Estate{
		Domain:    strings.ToUpper(o.Domain),
		DNSSuffix: strings.ToLower(o.DNSSuffix),
		Accounts:  map[string]*Account{},
		Nodes:     map[string]*Node{},
		DNS:       map[string]string{},
	}
	e.SettingsFormat = o.SettingsFormat
	for i, name := range []string{AdminAccount, sqlServiceAccount, MasterServiceAccount, WorkerServiceAccount} {
		full := e.Domain + `\` + name
		pw := o.Passwords[strings.ToLower(full)]
		if pw == "" {
			pw = GeneratePassword()
		}
		e.Accounts[strings.ToLower(full)] = &Account{Name: full, Password: pw, Enabled: true, SID: fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", 1100+i)}
	}
	version := ProductVersion(o.SQLVersion)
	for i := 1; i <= o.Masters; i++ {
		host := fmt.Sprintf("node%d.%s", i, e.DNSSuffix)
		n := newNode(host, "master", fmt.Sprintf("10.0.0.%d", 10+i))
		n.Installed["SQLEngine"] = version
		inst := instanceName(o.Instance)
		svc := EngineServiceName(inst)
		engine := e.Domain + `\` + sqlServiceAccount
		if o.EngineAccount == "virtual" {
			engine = `NT Service\` + svc
		}
		n.Services[strings.ToLower(svc)] = &Service{Name: svc, DisplayName: "SQL Server (" + inst + ")", Account: engine, StartMode: "Auto", State: "Running", PathName: `"C:\Program Files\Microsoft SQL Server\MSSQL` + fmt.Sprint(majorOf(version)) + `.` + inst + `\MSSQL\Binn\sqlservr.exe" -s` + inst}
		agent := agentServiceFor(engine, inst)
		n.Services[strings.ToLower(agent.Name)] = agent
		n.SQL = newInstance(e, version, engine)
		n.SQL.Name = inst
		e.addNode(n)
	}
	for i := 1; i <= o.Workers; i++ {
		host := fmt.Sprintf("worker%d.%s", i, e.DNSSuffix)
		e.addNode(newNode(host, "worker", fmt.Sprintf("10.0.0.%d", 20+i)))
	}
	e.addFileServer()
	return e
}

// Migrate brings an estate saved by an older lab up to date.
func (e *Estate) Migrate() {
	if e.FileShares == nil {
		e.addFileServer()
	}
	for _, n := range e.Nodes {
		if n.SQL == nil {
			continue
		}
		if agentOf(n) == nil {
			agent := agentServiceFor(n.SQL.ServiceAccount, n.SQL.Name)
			n.Services[strings.ToLower(agent.Name)] = agent
		}
		for name, j := range n.SQL.Jobs {
			if j == nil || j.Name == "" {
				n.SQL.Jobs[name] = &AgentJob{Name: name}
			}
		}
		if n.SQL.AsymmetricKeys == nil {
			n.SQL.AsymmetricKeys = map[string]string{}
		}
		if loginWithSID(n.SQL, "0x01") == "" {
			n.SQL.Logins["sa"] = saLogin()
		}
	}
}

// agentServiceFor is the SQL Server Agent service setup installs beside an engine
// of instance inst running as engine: running, started automatically, under the
// matching account.
func agentServiceFor(engine, inst string) *Service {
	name := AgentServiceName(inst)
	acct := engine
	if IsVirtualAccount(engine) {
		acct = `NT Service\` + name
	}
	return &Service{Name: name, DisplayName: "SQL Server Agent (" + instanceName(inst) + ")", Account: acct, StartMode: "Auto", State: "Running"}
}

// DefaultInstance is the name of a SQL Server default instance.
const DefaultInstance = "MSSQLSERVER"

func instanceName(inst string) string {
	if inst == "" {
		return DefaultInstance
	}
	return strings.ToUpper(inst)
}

func isNamedInstance(inst string) bool { return instanceName(inst) != DefaultInstance }

// EngineServiceName is the Windows service of an instance's engine: MSSQLSERVER, or
// MSSQL$NAME for a named instance.
func EngineServiceName(inst string) string {
	if isNamedInstance(inst) {
		return "MSSQL$" + instanceName(inst)
	}
	return DefaultInstance
}

// AgentServiceName is the Windows service of an instance's SQL Server Agent:
// SQLSERVERAGENT, or SQLAgent$NAME for a named instance.
func AgentServiceName(inst string) string {
	if isNamedInstance(inst) {
		return "SQLAgent$" + instanceName(inst)
	}
	return AgentService
}

// addFileServer gives the domain its file server, outside the cluster, with a share
// for the cluster's witness. States saved before the lab had one get it on loading.
func (e *Estate) addFileServer() {
	fs := FileServer + "." + e.DNSSuffix
	e.DNS[fs], e.DNS[FileServer] = "10.0.0.5", "10.0.0.5"
	e.FileShares = map[string]bool{`\\` + fs + `\` + WitnessShare: true}
}

// FileServer is the short name of the lab domain's file server, and WitnessShare its
// share for cluster witnesses.
const (
	FileServer   = "fs01"
	WitnessShare = "witness"
)

func (e *Estate) addNode(n *Node) {
	key := strings.ToLower(n.Host)
	e.Nodes[key] = n
	e.DNS[key] = n.IP
	e.DNS[ShortName(key)] = n.IP
}

func newNode(host, role, ip string) *Node {
	return &Node{
		Host:        host,
		Role:        role,
		IP:          ip,
		Features:    map[string]bool{},
		Installed:   map[string]string{},
		Services:    map[string]*Service{},
		Files:       map[string]string{SetupMediaPath: "SQL Server setup"},
		Certs:       map[string]map[string]*Cert{`LocalMachine\My`: {}, `LocalMachine\Root`: {}},
		SSLBindings: map[string]string{},
		Firewall:    map[string]*FirewallRule{},
		Registry:    map[string]string{},
		FirewallOn:  FirewallOnByDefault,
	}
}

func newInstance(e *Estate, version, engine string) *Instance {
	in := &Instance{
		Name:               "MSSQLSERVER",
		Version:            version,
		Edition:            "Enterprise Edition: Core-based Licensing (64-bit)",
		EngineEdition:      3,
		MixedMode:          true,
		Running:            true,
		ServiceAccount:     engine,
		Logins:             map[string]*Login{},
		Endpoints:          map[string]*Endpoint{},
		Databases:          map[string]*Database{},
		MasterKeyPasswords: map[string]string{},
		Jobs:               map[string]*AgentJob{},
		AsymmetricKeys:     map[string]string{},
		StartupProcs:       map[string]bool{},
		Grants:             map[string]bool{},
	}
	admin := e.Domain + `\` + AdminAccount
	in.Logins[strings.ToLower(admin)] = &Login{Name: admin, Type: "WINDOWS_LOGIN", SID: WindowsSID(admin), Sysadmin: true}
	// sa keeps SID 0x01 whatever it is called.
	in.Logins["sa"] = saLogin()
	in.Logins["nt authority\\system"] = &Login{Name: `NT AUTHORITY\SYSTEM`, Type: "WINDOWS_LOGIN", SID: "0x010100000000000512000000"}
	// Setup grants the SYSTEM login CONNECT SQL; backup and monitoring agents that run
	// as SYSTEM depend on it.
	in.Grants[grantKey("CONNECT SQL", "", `NT AUTHORITY\SYSTEM`)] = true
	// Setup makes the engine's own account sysadmin: the service SID for a virtual
	// account, the domain account otherwise.
	in.Logins[strings.ToLower(engine)] = &Login{Name: engine, Type: "WINDOWS_LOGIN", SID: WindowsSID(engine), Sysadmin: true}
	for _, db := range []string{"master", "msdb", "model", "tempdb"} {
		in.Databases[db] = &Database{Name: db, Recovery: "SIMPLE", State: "ONLINE", Users: map[string]*DBUser{}}
	}
	return in
}

func majorOf(version string) int {
	var m int
	_, _ = fmt.Sscanf(version, "%d.", &m)
	return m
}

// ShortName returns the first label of a host name.
func ShortName(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

// WindowsSID returns the stable SID the lab gives a Windows login, as 0x… hex.
func WindowsSID(account string) string {
	h := sha1.Sum([]byte(strings.ToLower(account)))
	return fmt.Sprintf("0x010500000000000515000000%X", h[:16])
}

// Node returns the node for a host (FQDN or short name, any case, or a server name
// HOST\INSTANCE), or nil.
func (e *Estate) Node(host string) *Node {
	h, _, _ := strings.Cut(strings.ToLower(host), `\`)
	if n, ok := e.Nodes[h]; ok {
		return n
	}
	for k, n := range e.Nodes {
		if ShortName(k) == h {
			return n
		}
	}
	return nil
}

// File returns a file's content by path, case-insensitively, as Windows does.
func (n *Node) File(path string) (string, bool) {
	if c, ok := n.Files[path]; ok {
		return c, true
	}
	for k, c := range n.Files {
		if strings.EqualFold(k, path) {
			return c, true
		}
	}
	return "", false
}

// SetFile writes a file, keeping the existing spelling of its path.
func (n *Node) SetFile(path, content string) {
	for k := range n.Files {
		if strings.EqualFold(k, path) {
			n.Files[k] = content
			return
		}
	}
	n.Files[path] = content
}

// removeFile deletes a file; it reports whether it existed.
func (n *Node) removeFile(path string) bool {
	for k := range n.Files {
		if strings.EqualFold(k, path) {
			delete(n.Files, k)
			return true
		}
	}
	return false
}

// GeneratePassword returns a random password that meets SQL Server's complexity rules
// and can be carried anywhere ssisha puts one: 20 characters of upper and lower case
// letters, digits and symbols other than ' " ; and the backslash.
func GeneratePassword() string {
	const (
		upper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
		lower   = "abcdefghijkmnopqrstuvwxyz"
		digits  = "23456789"
		symbols = "!#%*+-=?@^_~"
	)
	all := upper + lower + digits + symbols
	b := make([]byte, 20)
	for i := range b {
		set := all
		switch i {
		case 0:
			set = upper
		case 1:
			set = lower
		case 2:
			set = digits
		case 3:
			set = symbols
		}
		b[i] = set[randIntn(len(set))]
	}
	return string(b)
}

func randIntn(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic("lab: no randomness: " + err.Error())
	}
	return int(v.Int64())
}

// saLogin is the login setup makes with SID 0x01, disabled as hardened servers keep it.
func saLogin() *Login {
	return &Login{Name: "sa", Type: "SQL_LOGIN", SID: "0x01", Password: GeneratePassword(), Disabled: true, Sysadmin: true}
}
