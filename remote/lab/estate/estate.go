// Package estate is the lab's model of a Scale Out estate: master nodes and workers
// with their services, files, certificates and SQL Server instances, the failover
// cluster, the availability group and its listener, and SSISDB; what each operation
// a script names on its first line (ssisha-op) does to it, with the errors Windows and
// SQL Server raise; its time-based behaviour; and the health rules a real Scale Out HA
// estate must meet. It does no I/O and keeps no clock or lock: the runtime (package
// lab) serves it over WinRM and TDS, injects faults, saves it, and passes each
// operation the time and a way to wait.
package estate

import (
	"sort"
	"time"
)

// Estate is the whole simulated world. It is persisted as JSON in the lab directory.
// Map keys for hosts, services, logins and databases are lower case.
type Estate struct {
	Domain    string              `json:"domain"`    // NetBIOS domain, e.g. CONTOSO
	DNSSuffix string              `json:"dnsSuffix"` // e.g. contoso.com
	Accounts  map[string]*Account `json:"accounts"`  // domain accounts by lower-case DOMAIN\user
	Nodes     map[string]*Node    `json:"nodes"`     // by lower-case host (FQDN)
	// DNS maps lower-case names (short and FQDN) to IPv4 addresses registered in the
	// domain's DNS: nodes, the cluster, the listener, the master's access point.
	DNS     map[string]string `json:"dns"`
	Cluster *Cluster          `json:"cluster,omitempty"`
	// AG is the availability group holding SSISDB, once created.
	AG *AvailabilityGroup `json:"ag,omitempty"`
	// ComputerObjects are the AD computer objects of the cluster's roles' network
	// names (virtual computer objects), by lower-case short name.
	ComputerObjects map[string]*ComputerObject `json:"computerObjects,omitempty"`
	// FileShares are the shares of the domain's file server, as lower-case
	// \\server\share: where a cluster's file share witness can live.
	FileShares map[string]bool `json:"fileShares,omitempty"`
	// SettingsFormat is how Scale Out setup writes its settings files here:
	// SettingsJSON or SettingsXML; empty is the lab's default.
	SettingsFormat string `json:"settingsFormat,omitempty"`
	// ExportedPFX are the PFXs (base64) the nodes exported: secrets whose values the
	// lab knows, so its tests can look for them where no secret may be. Not persisted.
	ExportedPFX []string `json:"-"`
	// ADFromSessionFails, when set, is the error an Active Directory search raises
	// from a WinRM session: without delegation (NTLM, no CredSSP) the session's
	// credentials cannot make the second hop to a domain controller. Name lookups
	// through the node's own secure channel (NTAccount.Translate) still work.
	ADFromSessionFails string `json:"adFromSessionFails,omitempty"`
	// Seq numbers objects the lab creates (SIDs, GUIDs, thumbprints) deterministically.
	Seq int `json:"seq"`
	// Spend, when set, charges work the estate does by itself on a node (not an
	// operation's) to that node's busy time, in lab time; the runtime sets it.
	Spend func(host string, d time.Duration) `json:"-"`
}

// ComputerObject is a computer object in AD: enabled while a network name uses it,
// disabled as AD admins pre-stage one or as a removed role leaves it.
type ComputerObject struct {
	Enabled     bool      `json:"enabled"`
	WhenCreated time.Time `json:"whenCreated"`
}

// Account is a domain account in the simulated Active Directory.
type Account struct {
	Name     string `json:"name"` // DOMAIN\user
	Password string `json:"password"`
	Enabled  bool   `json:"enabled"`
	SID      string `json:"sid"`
}

// Node is a Windows server: a master node (with a SQL Server instance) or a worker.
type Node struct {
	Host string `json:"host"` // FQDN
	Role string `json:"role"` // master | worker
	IP   string `json:"ip"`
	// Features are Windows features by name, e.g. Failover-Clustering: true.
	Features map[string]bool `json:"features"`
	// Installed are SQL Server setup features (SQLEngine, IS, IS_Master, IS_Worker) with
	// the product version installed.
	Installed map[string]string `json:"installed"`
	// Services by lower-case name.
	Services map[string]*Service `json:"services"`
	// Files by full Windows path (case preserved; look up case-insensitively).
	Files map[string]string `json:"files"`
	// Certs by store ("LocalMachine\\My", "LocalMachine\\Root") then upper-case thumbprint.
	Certs map[string]map[string]*Cert `json:"certs"`
	// SSLBindings are http.sys bindings, "0.0.0.0:8391" -> thumbprint.
	SSLBindings map[string]string `json:"sslBindings"`
	// Firewall rules by name.
	Firewall map[string]*FirewallRule `json:"firewall"`
	// FirewallOn is Windows Firewall's domain profile: on, inbound traffic from other
	// machines reaches only the ports a rule allows.
	FirewallOn bool `json:"firewallOn,omitempty"`
	// Registry values by "HKLM\\...\\Key!Value".
	Registry      map[string]string `json:"registry"`
	PendingReboot bool              `json:"pendingReboot"`
	// SharedDir is where SQL Server setup puts its shared features (INSTANCEDIR's
	// sibling, e.g. D:\Program Files\Microsoft SQL Server); empty is the default on C:.
	SharedDir string `json:"sharedDir,omitempty"`
	// Locale is the node's display language (empty: en-US); tools such as netsh
	// print their labels in it.
	Locale string `json:"locale,omitempty"`
	// PrivateKeyWrites are the files a private key was written to on this node's disk,
	// even for a moment: a deleted file's bytes stay on the disk until overwritten, and
	// a session that dies before its cleanup leaves the file itself.
	PrivateKeyWrites []string `json:"privateKeyWrites,omitempty"`
	// SecretsExposed are the places on this node where a secret of the estate was
	// readable beyond the process that needed it, each with the secret's name (never
	// its value): a process's command line, which local administrators read from
	// Win32_Process.CommandLine and process-creation auditing logs, or a script file
	// the client uploaded. ssisha's own scripts must leave none. A record for tests,
	// not state: not persisted.
	SecretsExposed []string `json:"-"`
	// SQL is the node's SQL Server instance (masters only).
	SQL *Instance `json:"sql,omitempty"`
}

// Service is a Windows service.
type Service struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Account     string `json:"account"`   // StartName
	StartMode   string `json:"startMode"` // Auto | Manual | Disabled
	State       string `json:"state"`     // Running | Stopped
	PathName    string `json:"pathName"`
	// Password is the logon password the service was configured with ("" for virtual
	// and built-in accounts); a failover starts the service only if it is still right.
	Password string `json:"password,omitempty"`
	// StartedAt is when the service last entered Running (zero: not yet seen running);
	// time-based behaviour such as worker registration counts from it.
	StartedAt time.Time `json:"startedAt,omitempty"`
}

// Cert is a certificate in a store.
type Cert struct {
	Thumbprint    string    `json:"thumbprint"` // 40 upper-case hex
	Subject       string    `json:"subject"`
	DNSNames      []string  `json:"dnsNames"`
	HasPrivateKey bool      `json:"hasPrivateKey"`
	Exportable    bool      `json:"exportable"`
	NotAfter      time.Time `json:"notAfter"`
	FriendlyName  string    `json:"friendlyName,omitempty"`
	// Issuer is the issuing CA's name; empty for a self-signed certificate.
	Issuer string `json:"issuer,omitempty"`
}

// FirewallRule is an inbound allow rule.
type FirewallRule struct {
	Name        string `json:"name"`
	DisplayName string `json:"displayName"`
	Port        int    `json:"port"`
	Enabled     bool   `json:"enabled"`
}

// Instance is a SQL Server instance.
type Instance struct {
	Name          string `json:"name"`    // MSSQLSERVER or a named instance
	Version       string `json:"version"` // ProductVersion, e.g. 15.0.4345.5
	Edition       string `json:"edition"` // e.g. Enterprise Edition (64-bit)
	EngineEdition int    `json:"engineEdition"`
	HadrEnabled   bool   `json:"hadrEnabled"`
	MixedMode     bool   `json:"mixedMode"` // IsIntegratedSecurityOnly = 0
	CLREnabled    bool   `json:"clrEnabled"`
	Running       bool   `json:"running"`
	// ServiceAccount runs the engine (needed for endpoint permissions).
	ServiceAccount string `json:"serviceAccount"`
	// Logins by lower-case name.
	Logins map[string]*Login `json:"logins"`
	// Endpoints by lower-case name (the database mirroring endpoint for the AG).
	Endpoints map[string]*Endpoint `json:"endpoints"`
	// Databases by lower-case name.
	Databases map[string]*Database `json:"databases"`
	// MasterKeyPasswords are sp_control_dbmasterkey_password credentials by database
	// family GUID -> password.
	MasterKeyPasswords map[string]string `json:"masterKeyPasswords"`
	// Jobs are SQL Agent jobs by name.
	Jobs map[string]*AgentJob `json:"jobs"`
	// AsymmetricKeys in master, by name: the path of the file each was created from.
	AsymmetricKeys map[string]string `json:"asymmetricKeys,omitempty"`
	// StartupProcs are master.dbo procedures marked for startup, e.g. sp_ssis_startup.
	StartupProcs map[string]bool `json:"startupProcs"`
	// Grants are server-level permissions, "CONNECT ON ENDPOINT::Hadr_endpoint TO CONTOSO\\svc_sql".
	Grants map[string]bool `json:"grants"`
}

// Login is a server principal.
type Login struct {
	Name        string `json:"name"`
	Type        string `json:"type"` // SQL_LOGIN | WINDOWS_LOGIN
	SID         string `json:"sid"`  // hex, 0x…
	Password    string `json:"password,omitempty"`
	Disabled    bool   `json:"disabled"`
	CheckPolicy bool   `json:"checkPolicy"`
	Sysadmin    bool   `json:"sysadmin"`
}

// Endpoint is a database mirroring endpoint.
type Endpoint struct {
	Name  string `json:"name"`
	Port  int    `json:"port"`
	State string `json:"state"` // STARTED | STOPPED
}

// Database is a database on one instance.
type Database struct {
	Name       string `json:"name"`
	Recovery   string `json:"recovery"` // FULL | SIMPLE
	State      string `json:"state"`    // ONLINE | RESTORING
	FamilyGUID string `json:"familyGuid"`
	HasBackup  bool   `json:"hasBackup"`
	// MasterKey: the database has a master key; EncryptedByServer: it is also encrypted
	// by this instance's service master key (so it opens without a password).
	MasterKey         bool `json:"masterKey"`
	EncryptedByServer bool `json:"encryptedByServer"`
	// MasterKeyPassword is the password the database master key was created with; the
	// lab checks credentials and OPEN MASTER KEY against it.
	MasterKeyPassword string `json:"masterKeyPassword,omitempty"`
	// Users by lower-case name.
	Users map[string]*DBUser `json:"users"`
	// Catalog is SSISDB's content, present on the copy that holds the data.
	Catalog *Catalog `json:"catalog,omitempty"`
}

// DBUser is a database principal.
type DBUser struct {
	Name  string          `json:"name"`
	SID   string          `json:"sid"`
	Roles map[string]bool `json:"roles"`
}

// Catalog is the SSISDB catalog's Scale Out state.
type Catalog struct {
	// Properties are internal.master_properties (MASTER_ADDRESS, CLUSTER_LOGDB_SERVER,
	// IS_SCALEOUT_ENABLED, MACHINE_NAME, LAST_ONLINE_TIME, …).
	Properties map[string]string `json:"properties"`
	// LogDBConnectionString is CLUSTER_LOGDB_CONNECTIONSTRING (stored encrypted by a
	// real catalog; the lab keeps it to check what workers would use).
	LogDBConnectionString string `json:"logdbConnectionString"`
	// WorkerAgents by upper-case agent ID.
	WorkerAgents map[string]*WorkerAgent `json:"workerAgents"`
	// AlwaysOnReplicas are internal.alwayson_support_state rows: server -> state
	// (1: the primary at the monitor job's last run, 2: a secondary).
	AlwaysOnReplicas map[string]int `json:"alwaysOnReplicas"`
	// Executions are catalog.executions rows.
	Executions []*Execution `json:"executions,omitempty"`
}

// WorkerAgent is a row of catalog.worker_agents.
type WorkerAgent struct {
	ID             string    `json:"id"`
	MachineName    string    `json:"machineName"`
	DisplayName    string    `json:"displayName"`
	UserAccount    string    `json:"userAccount"`
	Enabled        bool      `json:"enabled"`
	LastOnlineTime time.Time `json:"lastOnlineTime"`
}

// Cluster is the Windows Server Failover Cluster.
type Cluster struct {
	Name string `json:"name"`
	IP   string `json:"ip"`
	// Nodes are the member hosts (lower case).
	Nodes []string `json:"nodes"`
	// Groups by lower-case name: the AG's role and the master's Generic Service role.
	Groups map[string]*ClusterGroup `json:"groups"`
	// Witness is the file share witness's path; empty is node majority.
	Witness string `json:"witness,omitempty"`
}

// ClusterGroup is a cluster role.
type ClusterGroup struct {
	Name  string `json:"name"`
	Type  string `json:"type"`  // GenericService | AvailabilityGroup
	Owner string `json:"owner"` // lower-case host
	State string `json:"state"` // Online | Offline | Failed
	// ServiceName is the Generic Service resource's service.
	ServiceName string `json:"serviceName,omitempty"`
	// DNSName and IP are the client access point.
	DNSName string `json:"dnsName,omitempty"`
	IP      string `json:"ip,omitempty"`
	// PossibleOwners are the nodes its resources may run on (Set-ClusterOwnerNode on
	// each resource), empty meaning every node: the role never moves elsewhere.
	PossibleOwners []string `json:"possibleOwners,omitempty"`
	// PreferredOwners are the group's own owner list (Set-ClusterOwnerNode on the
	// group): the order failover tries, which restricts nothing.
	PreferredOwners []string `json:"preferredOwners,omitempty"`
}

// AvailabilityGroup is the AG holding SSISDB.
type AvailabilityGroup struct {
	Name      string          `json:"name"`
	Primary   string          `json:"primary"`  // lower-case host
	Replicas  []string        `json:"replicas"` // lower-case hosts, joined or not
	Joined    map[string]bool `json:"joined"`
	Databases []string        `json:"databases"` // SSISDB
	Listener  *AGListener     `json:"listener,omitempty"`
}

// AGListener is the availability group listener.
type AGListener struct {
	DNSName string `json:"dnsName"`
	Port    int    `json:"port"`
	IP      string `json:"ip"`
	Mask    string `json:"mask"`
}

// SortedHosts returns the estate's node keys, masters first, each group by name.
func (e *Estate) SortedHosts() []string {
	hosts := make([]string, 0, len(e.Nodes))
	for h := range e.Nodes {
		hosts = append(hosts, h)
	}
	sort.Slice(hosts, func(i, j int) bool {
		ri, rj := e.Nodes[hosts[i]].Role, e.Nodes[hosts[j]].Role
		if ri != rj {
			return ri == "master"
		}
		return hosts[i] < hosts[j]
	})
	return hosts
}

// sortedKeys returns a map's keys in order, for deterministic walks of the estate.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
