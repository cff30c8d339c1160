package mssql

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/microsoft/go-mssqldb/msdsn"

	"github.com/ssisha/ssisha/remote"
)

// checkOptions rejects settings that could never connect, before any dial.
func checkOptions(o remote.SQLOptions) error {
	enc := encryptMode(o)
	if !slices.Contains(remote.EncryptModes(), enc) {
		return fmt.Errorf("connection.sql.encrypt is %q: use %s", o.Encrypt, remote.ChoiceList(remote.EncryptModes()))
	}
	switch strings.ToLower(o.Auth) {
	case "", remote.SQLAuthWindows:
		if runtime.GOOS != "windows" && !strings.Contains(o.User, `\`) {
			return fmt.Errorf("connection.sql.user is %q: Windows authentication from %s needs DOMAIN\\user and a password", o.User, runtime.GOOS)
		}
	case remote.SQLAuthSQL:
		if o.User == "" || strings.Contains(o.User, `\`) {
			return fmt.Errorf("connection.sql.user is %q: SQL authentication needs a SQL login name (no domain)", o.User)
		}
	case remote.SQLAuthKerberos:
		if _, err := os.Stat(krb5Config()); err != nil {
			return fmt.Errorf("connection.sql.auth is kerberos but %s cannot be read (%w); set KRB5_CONFIG to the krb5.conf that names the domain's KDCs", krb5Config(), err)
		}
	default:
		return fmt.Errorf("connection.sql.auth is %q: use %s", o.Auth, remote.ChoiceList(remote.SQLAuthModes()))
	}
	if o.CAFile != "" {
		if _, err := os.Stat(o.CAFile); err != nil {
			return fmt.Errorf("connection.sql.caFile %q cannot be read: %w", o.CAFile, err)
		}
	}
	if o.TrustServerCertificate && enc == remote.EncryptStrict {
		return fmt.Errorf("connection.sql: encrypt strict always verifies the certificate; give caFile instead of trustServerCertificate")
	}
	return nil
}

func encryptMode(o remote.SQLOptions) string {
	if o.Encrypt == "" {
		return remote.EncryptTrue
	}
	return strings.ToLower(o.Encrypt)
}

// connConfig builds the driver configuration for one target. The password is set
// on the parsed configuration, never written into a connection string.
func connConfig(ep remote.Endpoint, listener bool, o remote.SQLOptions) (msdsn.Config, error) {
	enc := encryptMode(o)
	q := url.Values{}
	q.Set("encrypt", enc)
	q.Set("app name", "ssisha")
	if enc != remote.EncryptDisable {
		q.Set("hostnameincertificate", ep.Host)
		if o.CAFile != "" {
			q.Set("certificate", o.CAFile)
		}
		if o.TrustServerCertificate {
			q.Set("trustservercertificate", "true")
		} else {
			q.Set("trustservercertificate", "false")
		}
	}
	if listener {
		q.Set("multisubnetfailover", "true")
	}
	windows := o.Auth == "" || strings.EqualFold(o.Auth, remote.SQLAuthWindows)
	kerberos := strings.EqualFold(o.Auth, remote.SQLAuthKerberos)
	if windows && runtime.GOOS != "windows" {
		q.Set("authenticator", "ntlm")
	}
	if kerberos {
		q.Set("authenticator", "krb5")
		q.Set("krb5-configfile", krb5Config())
		if cc := os.Getenv("KRB5CCNAME"); cc != "" && o.Password.IsZero() {
			// kinit's ticket; the driver wants the file, without MIT's FILE: prefix.
			q.Set("krb5-credcachefile", strings.TrimPrefix(cc, "FILE:"))
		}
	}
	addr := sqlAddress(ep)
	u := url.URL{Scheme: "sqlserver", RawQuery: q.Encode()}
	// The instance's SPN names the host as clients know it and the port they dial,
	// whatever address the name resolves to (or an override points at).
	spnPort := "1433"
	switch {
	case ep.SQLPort != 0:
		u.Host = net.JoinHostPort(addr, strconv.Itoa(ep.SQLPort))
		spnPort = strconv.Itoa(ep.SQLPort)
	case namedInstance(ep) && !listener:
		u.Host = addr
		u.Path = "/" + ep.SQLInstance
		spnPort = ep.SQLInstance
	default:
		u.Host = net.JoinHostPort(addr, "1433")
	}
	cfg, err := msdsn.Parse(u.String())
	if err != nil {
		return cfg, err
	}
	cfg.User = o.User
	cfg.Password = o.Password.Reveal()
	if kerberos {
		cfg.ServerSPN = "MSSQLSvc/" + ep.Host + ":" + spnPort
		cfg.User = kerberosPrincipal(o.User)
	}
	return cfg, nil
}

// krb5Config is the krb5.conf Kerberos logins read: KRB5_CONFIG, else the system's.
func krb5Config() string {
	if p := os.Getenv("KRB5_CONFIG"); p != "" {
		return p
	}
	return "/etc/krb5.conf"
}

// kerberosPrincipal turns DOMAIN\user into user, whose realm krb5.conf's
// default_realm gives (a NetBIOS domain is not a realm); user@REALM and "" (the
// ticket in KRB5CCNAME) stay as they are.
func kerberosPrincipal(user string) string {
	if _, u, ok := strings.Cut(user, `\`); ok {
		return u
	}
	return user
}

// sqlAddress is where ep's instance is dialled: its SQL address, else its name.
func sqlAddress(ep remote.Endpoint) string {
	if ep.SQLAddress != "" {
		return ep.SQLAddress
	}
	return ep.Host
}

// namedInstance reports whether ep names an instance other than the default one,
// which is then found through the SQL Browser unless a port is given.
func namedInstance(ep remote.Endpoint) bool {
	return ep.SQLInstance != "" && !strings.EqualFold(ep.SQLInstance, "MSSQLSERVER")
}
