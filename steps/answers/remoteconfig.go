package answers

import (
	"strings"

	"github.com/ssisha/ssisha/remote"
)

// RemoteConfig maps the answers and secrets to what the remote layer needs: one
// endpoint per master and worker with their address overrides, the listener, the
// WinRM and SQL options with their passwords, and a Redactor that knows every secret.
// User name overrides from SSISHA_WINRM_USER and SSISHA_SQL_USER win over the answers.
func RemoteConfig(a *Answers, s *Secrets) remote.Config {
	if s == nil {
		s = &Secrets{}
	}
	cfg := remote.Config{Redactor: s.Redactor()}
	for _, m := range a.Masters {
		instance := m.SQLInstance
		if instance == "" {
			instance = DefaultSQLInstance
		}
		cfg.Nodes = append(cfg.Nodes, remote.Endpoint{
			Host:         m.Host,
			WinRMAddress: m.WinRM.Address,
			WinRMPort:    m.WinRM.Port,
			SQLAddress:   m.SQL.Address,
			SQLPort:      m.SQL.Port,
			SQLInstance:  instance,
		})
	}
	for _, w := range a.Workers {
		cfg.Nodes = append(cfg.Nodes, remote.Endpoint{
			Host:         w.Host,
			WinRMAddress: w.WinRM.Address,
			WinRMPort:    w.WinRM.Port,
		})
	}
	l := a.AvailabilityGroup.Listener
	port := l.Connect.Port
	if port == 0 {
		port = l.Port
	}
	cfg.Listener = remote.Endpoint{Host: l.DNSName, SQLAddress: l.Connect.Address, SQLPort: port}

	w := a.Connection.WinRM
	cfg.WinRM = remote.WinRMOptions{
		Auth:               strings.ToLower(w.Auth),
		HTTPS:              w.HTTPS,
		CAFile:             w.CAFile,
		CertFile:           w.CertFile,
		KeyFile:            w.KeyFile,
		Insecure:           w.Insecure,
		AllowBasicOverHTTP: w.AllowBasicOverHTTP,
		User:               s.userOr(EnvWinRMUser, w.User),
		Password:           s.WinRMPassword,
	}
	q := a.Connection.SQL
	cfg.SQL = remote.SQLOptions{
		Auth:                   strings.ToLower(q.Auth),
		Encrypt:                strings.ToLower(q.Encrypt),
		CAFile:                 q.CAFile,
		TrustServerCertificate: q.TrustServerCertificate,
		User:                   s.userOr(EnvSQLUser, q.User),
		Password:               s.SQLPassword,
	}
	return cfg
}
