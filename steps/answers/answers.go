// Package answers is the answer model: what the DBA tells ssisha about the estate,
// loaded from and saved to a YAML answer file (never with secrets), and the secrets
// that come from the environment, a 0600 file or masked prompts.
package answers

import "github.com/ssisha/ssisha/remote/script"

// Answers is the whole answer file. Field paths in errors use the YAML keys, for
// example masterService.account or masters[1].host.
type Answers struct {
	SQLVersion        int               `yaml:"sqlVersion,omitempty"` // a year of sqlversion.All(); 0: detect
	Domain            string            `yaml:"domain"`               // NetBIOS domain name
	Cluster           Cluster           `yaml:"cluster"`
	Masters           []Master          `yaml:"masters"` // the first is the initial primary
	SetupMedia        string            `yaml:"setupMedia,omitempty"`
	MasterService     MasterService     `yaml:"masterService"`
	AvailabilityGroup AvailabilityGroup `yaml:"availabilityGroup"`
	Logging           Logging           `yaml:"logging,omitempty"`
	Workers           []Worker          `yaml:"workers,omitempty"`
	Connection        Connection        `yaml:"connection"`

	// lines maps field paths (masters[1].host) to the YAML line they were read from;
	// nil when the answers did not come from a file. Validate uses it to point at lines
	// and ApplyDefaults to tell an absent key from an explicit zero value.
	lines map[string]int
}

// Cluster is the Windows Server Failover Cluster.
type Cluster struct {
	Name          string `yaml:"name"`   // at most 15 characters
	Create        bool   `yaml:"create"` // step 1 creates it when missing
	StaticAddress string `yaml:"staticAddress,omitempty"`
	// Witness is the UNC path of the file share witness step 1 gives the cluster
	// (\\fs01.contoso.com\witness\SSISCL); empty leaves the quorum as it is. Two
	// master nodes without a witness lose quorum when the node holding the vote
	// fails, and the master with them.
	Witness string `yaml:"witness,omitempty"`
}

// Master is one master node: a SQL Server replica that can run the master service.
type Master struct {
	Host        string  `yaml:"host"`
	SQLInstance string  `yaml:"sqlInstance,omitempty"` // default MSSQLSERVER
	WinRM       Address `yaml:"winrm,omitempty"`
	SQL         Address `yaml:"sql,omitempty"`
}

// Address overrides where to connect to a node's service.
type Address struct {
	Address string `yaml:"address,omitempty"`
	Port    int    `yaml:"port,omitempty"`
}

// MasterService is the Scale Out Master service and its cluster client access point.
type MasterService struct {
	Account       string      `yaml:"account"`       // DOMAIN\user, never a virtual account
	DNSName       string      `yaml:"dnsName"`       // client access point of the cluster role
	StaticAddress string      `yaml:"staticAddress"` // IPv4/prefix or IPv4/mask
	Port          int         `yaml:"port"`          // default 8391
	Certificate   Certificate `yaml:"certificate"`
}

// Certificate is the master certificate choice.
type Certificate struct {
	Generate   bool     `yaml:"generate,omitempty"`
	Thumbprint string   `yaml:"thumbprint,omitempty"` // 40 hex characters
	ExtraNames []string `yaml:"extraNames,omitempty"`
}

// AvailabilityGroup holds SSISDB.
type AvailabilityGroup struct {
	Name         string   `yaml:"name"`
	EndpointPort int      `yaml:"endpointPort"` // default 5022
	Listener     Listener `yaml:"listener"`
}

// Listener is the AG listener.
type Listener struct {
	DNSName       string  `yaml:"dnsName"`
	Port          int     `yaml:"port"` // default 1433
	StaticAddress string  `yaml:"staticAddress"`
	Connect       Address `yaml:"connect,omitempty"` // override of where ssisha connects
}

// Logging says how workers write execution logs into SSISDB.
type Logging struct {
	// Login is the SQL login workers log with; default ##MS_SSISLogDBWorkerAgentLogin##.
	Login string `yaml:"login,omitempty"`
}

// Worker is one Scale Out Worker machine.
type Worker struct {
	Host    string  `yaml:"host"`
	Account string  `yaml:"account,omitempty"` // worker service account
	WinRM   Address `yaml:"winrm,omitempty"`
}

// Connection says how ssisha reaches the nodes.
type Connection struct {
	WinRM WinRMConnection `yaml:"winrm"`
	SQL   SQLConnection   `yaml:"sql"`
}

// WinRMConnection is the WinRM part of Connection.
type WinRMConnection struct {
	Auth               string `yaml:"auth"` // ntlm | kerberos | basic | certificate (remote.WinRMAuthModes)
	HTTPS              bool   `yaml:"https"`
	CAFile             string `yaml:"caFile,omitempty"`
	CertFile           string `yaml:"certFile,omitempty"` // certificate auth: the client certificate (PEM)
	KeyFile            string `yaml:"keyFile,omitempty"`  // certificate auth: its private key (PEM)
	Insecure           bool   `yaml:"insecure,omitempty"`
	AllowBasicOverHTTP bool   `yaml:"allowBasicOverHttp,omitempty"`
	User               string `yaml:"user,omitempty"`
}

// SQLConnection is the SQL part of Connection.
type SQLConnection struct {
	Auth                   string `yaml:"auth"`    // windows | sql | kerberos (remote.SQLAuthModes)
	Encrypt                string `yaml:"encrypt"` // strict | true | false | disable (remote.EncryptModes)
	CAFile                 string `yaml:"caFile,omitempty"`
	TrustServerCertificate bool   `yaml:"trustServerCertificate,omitempty"`
	User                   string `yaml:"user,omitempty"`
}

// Secrets are never in the answer file. Each comes from an SSISHA_* environment
// variable, a --secrets file (mode 0600) or a masked prompt.
type Secrets struct {
	WinRMPassword         script.Secret // SSISHA_WINRM_PASSWORD
	SQLPassword           script.Secret // SSISHA_SQL_PASSWORD
	MasterAccountPassword script.Secret // SSISHA_MASTER_ACCOUNT_PASSWORD
	WorkerAccountPassword script.Secret // SSISHA_WORKER_ACCOUNT_PASSWORD
	LoggingPassword       script.Secret // SSISHA_LOGGING_PASSWORD
	MasterKeyPassword     script.Secret // SSISHA_MASTER_KEY_PASSWORD (SSISDB database master key)
	PFXPassword           script.Secret // SSISHA_PFX_PASSWORD

	// users holds SSISHA_WINRM_USER and SSISHA_SQL_USER when given; they are not
	// secret, but travel with the passwords.
	users map[string]string
}
