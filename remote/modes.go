package remote

import "strings"

// WinRM authentication modes: the values of connection.winrm.auth in the answer file
// and of WinRMOptions.Auth.
const (
	WinRMAuthNTLM        = "ntlm"
	WinRMAuthKerberos    = "kerberos"
	WinRMAuthBasic       = "basic"
	WinRMAuthCertificate = "certificate"
)

// WinRMAuthModes lists the WinRM authentication modes, the default first.
func WinRMAuthModes() []string {
	return []string{WinRMAuthNTLM, WinRMAuthKerberos, WinRMAuthBasic, WinRMAuthCertificate}
}

// SQL Server authentication modes: the values of connection.sql.auth and
// SQLOptions.Auth. Kerberos is Windows authentication with a Kerberos ticket, what
// a domain that has NTLM off leaves; windows from a client that is not Windows
// uses NTLM.
const (
	SQLAuthWindows  = "windows"
	SQLAuthSQL      = "sql"
	SQLAuthKerberos = "kerberos"
)

// SQLAuthModes lists the SQL Server authentication modes, the default first.
func SQLAuthModes() []string { return []string{SQLAuthWindows, SQLAuthSQL, SQLAuthKerberos} }

// TDS encryption modes: the values of connection.sql.encrypt and SQLOptions.Encrypt.
// Strict is TDS 8.0, where TLS comes before any TDS packet; only some SQL Server
// releases speak it (sqlversion.Release.StrictTDS).
const (
	EncryptStrict  = "strict"
	EncryptTrue    = "true"
	EncryptFalse   = "false"
	EncryptDisable = "disable"
)

// EncryptModes lists the TDS encryption modes, the strongest first.
func EncryptModes() []string {
	return []string{EncryptStrict, EncryptTrue, EncryptFalse, EncryptDisable}
}

// ChoiceList writes modes as a person would list them in an error's fix: "a, b or c".
func ChoiceList(modes []string) string {
	if len(modes) < 2 {
		return strings.Join(modes, "")
	}
	return strings.Join(modes[:len(modes)-1], ", ") + " or " + modes[len(modes)-1]
}
