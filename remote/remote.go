// Package remote runs PowerShell over WinRM and T-SQL over TDS against the nodes of
// a Scale Out estate, real or the lab: the same code for both, only addresses differ.
package remote

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// Listener is the SQL target that means "the availability group listener" rather
// than one replica.
const Listener = "@listener"

// Remote is what the steps use to act on the estate. Implementations are safe for
// concurrent use across hosts.
type Remote interface {
	// PowerShell runs s on host and returns the one JSON object the script printed.
	PowerShell(ctx context.Context, host string, s script.PowerShell) (json.RawMessage, error)
	// SQL runs b on host's SQL Server instance, or through the listener when host is
	// Listener, and returns its result set (empty when the batch returns none).
	SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error)
	// Close releases every shell and connection.
	Close() error
}

// Endpoint says where one node is reached. Host is the node's name as the estate
// knows it (and as certificates name it); the addresses override where to connect.
type Endpoint struct {
	Host         string
	WinRMAddress string // empty: Host
	WinRMPort    int    // 0: 5986 with HTTPS, 5985 without
	SQLAddress   string // empty: Host
	SQLPort      int    // 0: 1433
	SQLInstance  string // MSSQLSERVER or a named instance; empty on workers
}

// WinRMOptions says how to reach WinRM on every node.
type WinRMOptions struct {
	Auth                string // ntlm (default) | kerberos | basic | certificate
	HTTPS               bool
	CAFile              string // PEM; empty: system roots
	Insecure            bool   // skip certificate verification (warned)
	AllowBasicOverHTTP  bool   // Basic over plain HTTP (warned)
	User                string // DOMAIN\user or user@domain
	Password            script.Secret
	CertFile, KeyFile   string // certificate auth
	KrbConfig           string // kerberos: krb5.conf path
	KrbCCache           string // kerberos: credential cache
	KrbKeytab           string // kerberos: keytab
	KrbRealm            string
	Timeout             time.Duration // per call; 0: 2 minutes
	MaxCommandsPerShell int           // recycle the shell after this many; 0: 100
}

// SQLOptions says how to reach SQL Server on every instance and the listener.
type SQLOptions struct {
	Auth                   string // windows (default) | sql
	Encrypt                string // strict | true (default) | false | disable
	CAFile                 string // PEM; empty: system roots
	TrustServerCertificate bool   // skip verification (warned)
	User                   string // DOMAIN\user for windows auth, login for sql auth
	Password               script.Secret
	Timeout                time.Duration // per call; 0: 2 minutes
	// AllowCleartextSecrets lets batches carry secrets (passwords as parameters)
	// over a connection that is not encrypted (Encrypt false or disable).
	AllowCleartextSecrets bool
}

// Cleartext reports whether the TDS traffic after the login crosses the network
// unencrypted: encrypt false (only the login is encrypted) or disable (nothing is).
func (o SQLOptions) Cleartext() bool {
	e := strings.ToLower(o.Encrypt)
	return e == EncryptFalse || e == EncryptDisable
}

// Config is everything needed to build a Remote.
type Config struct {
	Nodes    []Endpoint
	Listener Endpoint // SQL only: the listener's DNS name and port (and address override)
	WinRM    WinRMOptions
	SQL      SQLOptions
	// Redactor scrubs secrets from every error and log line the layer produces.
	Redactor *script.Redactor
	// Warn receives one-time warnings (plain HTTP, skipped verification).
	Warn func(msg string)
}

// Node returns the configured endpoint of host, matched case-insensitively, and
// whether there is one.
func (c Config) Node(host string) (Endpoint, bool) {
	for _, ep := range c.Nodes {
		if strings.EqualFold(ep.Host, host) {
			return ep, true
		}
	}
	return Endpoint{}, false
}
