package answers

import (
	"strings"

	"github.com/ssisha/ssisha/remote"
)

// The defaults ApplyDefaults fills in.
const (
	DefaultMasterPort     = 8391
	DefaultEndpointPort   = 5022
	DefaultListenerPort   = 1433
	DefaultSQLInstance    = "MSSQLSERVER"
	DefaultLoggingLogin   = "##MS_SSISLogDBWorkerAgentLogin##"
	DefaultWinRMAuth      = remote.WinRMAuthNTLM
	DefaultSQLAuth        = remote.SQLAuthWindows
	DefaultEncrypt        = remote.EncryptTrue
	DefaultWinRMHTTPPort  = 5985
	DefaultWinRMHTTPSPort = 5986
	DefaultSQLPort        = 1433
)

// ApplyDefaults fills in every value the answer file may leave out. HTTPS for WinRM
// defaults to on: for answers read from a file when the https key is absent, and for
// answers built in code when the whole connection.winrm section is still empty (an
// explicit false elsewhere is kept). Load calls it; it is idempotent.
func (a *Answers) ApplyDefaults() {
	if a.MasterService.Port == 0 {
		a.MasterService.Port = DefaultMasterPort
	}
	if a.AvailabilityGroup.EndpointPort == 0 {
		a.AvailabilityGroup.EndpointPort = DefaultEndpointPort
	}
	if a.AvailabilityGroup.Listener.Port == 0 {
		a.AvailabilityGroup.Listener.Port = DefaultListenerPort
	}
	for i := range a.Masters {
		if a.Masters[i].SQLInstance == "" {
			a.Masters[i].SQLInstance = DefaultSQLInstance
		}
	}
	if a.Logging.Login == "" {
		a.Logging.Login = DefaultLoggingLogin
	}
	w := &a.Connection.WinRM
	if a.lines != nil {
		if !a.has("connection.winrm.https") {
			w.HTTPS = true
		}
	} else if *w == (WinRMConnection{}) {
		w.HTTPS = true
	}
	if w.Auth == "" {
		w.Auth = DefaultWinRMAuth
	}
	w.Auth = strings.ToLower(w.Auth)
	s := &a.Connection.SQL
	if s.Auth == "" {
		s.Auth = DefaultSQLAuth
	}
	s.Auth = strings.ToLower(s.Auth)
	if s.Encrypt == "" {
		s.Encrypt = DefaultEncrypt
	}
	s.Encrypt = strings.ToLower(s.Encrypt)
	if t := a.MasterService.Certificate.Thumbprint; t != "" {
		a.MasterService.Certificate.Thumbprint = NormalizeThumbprint(t)
	}
}
