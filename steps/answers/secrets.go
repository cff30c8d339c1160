package answers

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// The environment variables (and secrets file keys) ssisha reads, as package envvar
// names them: the seven secrets, the two user names and the wait scale.
const (
	EnvWinRMPassword         = envvar.WinRMPassword
	EnvSQLPassword           = envvar.SQLPassword
	EnvMasterAccountPassword = envvar.MasterAccountPassword
	EnvWorkerAccountPassword = envvar.WorkerAccountPassword
	EnvLoggingPassword       = envvar.LoggingPassword
	EnvMasterKeyPassword     = envvar.MasterKeyPassword
	EnvPFXPassword           = envvar.PFXPassword
	EnvWinRMUser             = envvar.WinRMUser
	EnvSQLUser               = envvar.SQLUser
	EnvWaitScale             = envvar.WaitScale
)

// SecretSpec describes one secret: where it comes from and how to ask for it.
type SecretSpec struct {
	Env   string // environment variable and secrets file key
	Label string // prompt label
	Help  string // one line shown under the prompt
	Kind  PasswordKind
}

// Name is the placeholder name of the secret, for example winrm-password.
func (s SecretSpec) Name() string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(s.Env, envvar.Prefix), "_", "-"))
}

var secretSpecs = []SecretSpec{
	{EnvWinRMPassword, "WinRM password", "Password of the account ssisha connects to the nodes with (connection.winrm.user).", ConnectionPassword},
	{EnvSQLPassword, "SQL Server password", "Password of connection.sql.user, for SQL authentication or Windows authentication from a non-Windows client.", ConnectionPassword},
	{EnvMasterAccountPassword, "Master service account password", "Password of masterService.account; setup configures the master service with it.", ServiceAccountPassword},
	{EnvWorkerAccountPassword, "Worker service account password", "Password of the workers' service account; setup configures the worker service with it.", ServiceAccountPassword},
	{EnvLoggingPassword, "Logging login password", "New password of the logging login, set on every replica so workers log after a failover.", LoggingPassword},
	{EnvMasterKeyPassword, "SSISDB master key password", "Password of the SSISDB database master key, needed to open it on the secondaries.", MasterKeyPassword},
	{EnvPFXPassword, "Certificate export password", "Protects the master certificate (PFX) while it is copied to the other masters.", PFXPassword},
}

// SecretSpecs lists every secret, in the order a wizard asks for them.
func SecretSpecs() []SecretSpec { return append([]SecretSpec(nil), secretSpecs...) }

func specFor(env string) (SecretSpec, bool) {
	for _, s := range secretSpecs {
		if s.Env == env {
			return s, true
		}
	}
	return SecretSpec{}, false
}

// field is the Secrets field that holds env.
func (s *Secrets) field(env string) *script.Secret {
	switch env {
	case EnvWinRMPassword:
		return &s.WinRMPassword
	case EnvSQLPassword:
		return &s.SQLPassword
	case EnvMasterAccountPassword:
		return &s.MasterAccountPassword
	case EnvWorkerAccountPassword:
		return &s.WorkerAccountPassword
	case EnvLoggingPassword:
		return &s.LoggingPassword
	case EnvMasterKeyPassword:
		return &s.MasterKeyPassword
	case EnvPFXPassword:
		return &s.PFXPassword
	}
	return nil
}

func knownNames() string {
	names := make([]string, 0, len(secretSpecs)+3)
	for _, s := range secretSpecs {
		names = append(names, s.Env)
	}
	names = append(names, EnvWinRMUser, EnvSQLUser, EnvWaitScale)
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Set stores value under its environment variable name; user names
// (SSISHA_WINRM_USER, SSISHA_SQL_USER) are kept as overrides for the answers.
func (s *Secrets) Set(env, value string) error {
	if env == EnvWinRMUser || env == EnvSQLUser || env == EnvWaitScale {
		if s.users == nil {
			s.users = map[string]string{}
		}
		s.users[env] = value
		return nil
	}
	f := s.field(env)
	if f == nil {
		return fmt.Errorf("%s is not a secret ssisha knows; the names are %s", env, knownNames())
	}
	spec, _ := specFor(env)
	*f = script.NewSecret(spec.Name(), value)
	return nil
}

// Get returns the secret stored under env, or the zero Secret.
func (s *Secrets) Get(env string) script.Secret {
	if f := s.field(env); f != nil {
		return *f
	}
	return script.Secret{}
}

// User is the setting given for SSISHA_WINRM_USER, SSISHA_SQL_USER or
// SSISHA_WAIT_SCALE, or "".
func (s *Secrets) User(env string) string { return s.users[env] }

// userOr is the override given for env (SSISHA_WINRM_USER or SSISHA_SQL_USER), or
// answered, the user name the answers give, when there is none.
func (s *Secrets) userOr(env, answered string) string {
	if u := s.User(env); u != "" {
		return u
	}
	return answered
}

// clientOS is the operating system ssisha runs on; tests replace it.
var clientOS = runtime.GOOS

// Missing lists the secrets these answers need that have no value yet.
func (s *Secrets) Missing(a *Answers) []SecretSpec {
	var out []SecretSpec
	for _, spec := range secretSpecs {
		if s.Get(spec.Env).IsZero() && s.needs(a, spec.Env) {
			out = append(out, spec)
		}
	}
	return out
}

func (s *Secrets) needs(a *Answers, env string) bool {
	switch env {
	case EnvWinRMPassword:
		auth := strings.ToLower(a.Connection.WinRM.Auth)
		return auth != remote.WinRMAuthKerberos && auth != remote.WinRMAuthCertificate
	case EnvSQLPassword:
		user := s.userOr(EnvSQLUser, a.Connection.SQL.User)
		switch strings.ToLower(a.Connection.SQL.Auth) {
		case remote.SQLAuthSQL:
			return true
		case "", remote.SQLAuthWindows:
			return user != "" && clientOS != "windows"
		}
		return false
	case EnvWorkerAccountPassword:
		return len(a.Workers) > 0
	case EnvPFXPassword:
		return len(a.Masters) > 1
	}
	return true
}

// All returns the secrets that have a value.
func (s *Secrets) All() []script.Secret {
	var out []script.Secret
	for _, spec := range secretSpecs {
		if v := s.Get(spec.Env); !v.IsZero() {
			out = append(out, v)
		}
	}
	return out
}

// Redactor returns a Redactor that knows every secret with a value.
func (s *Secrets) Redactor() *script.Redactor { return script.NewRedactor(s.All()...) }
