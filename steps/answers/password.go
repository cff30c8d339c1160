package answers

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// PasswordKind says where a password goes, which decides what it may contain.
type PasswordKind int

// The kinds of password ssisha handles.
const (
	// ServiceAccountPassword is a Windows service account's; it travels on the setup.exe
	// command line as /PARAM="value".
	ServiceAccountPassword PasswordKind = iota + 1
	// LoggingPassword is the logging login's; SQL Server checks its complexity and it
	// travels inside the connection string workers parse.
	LoggingPassword
	// MasterKeyPassword protects the SSISDB database master key; SQL Server checks its
	// complexity.
	MasterKeyPassword
	// PFXPassword protects the master certificate's PFX while it is copied to the
	// other masters.
	PFXPassword
	// ConnectionPassword is the one ssisha logs in to WinRM or SQL Server with.
	ConnectionPassword
)

// String names the kind in the DBA's words.
func (k PasswordKind) String() string {
	switch k {
	case ServiceAccountPassword:
		return "service account password"
	case LoggingPassword:
		return "logging login password"
	case MasterKeyPassword:
		return "database master key password"
	case PFXPassword:
		return "certificate (PFX) password"
	case ConnectionPassword:
		return "connection password"
	}
	return "password"
}

// ValidatePassword checks a password for where it must go: characters that cannot be
// carried there safely, and SQL Server's complexity rules for the logging login and
// the master key. login is the account or login it belongs to, refused inside the
// password where SQL Server refuses it. The error never contains the password.
func ValidatePassword(kind PasswordKind, v string, login string) error {
	if v == "" {
		return bad("the "+kind.String()+" is empty", "type a password")
	}
	if !utf8.ValidString(v) {
		return bad("the "+kind.String()+" is not valid UTF-8 text", "type it again")
	}
	for i, r := range v {
		if r == 0 || unicode.IsControl(r) {
			return bad("the "+kind.String()+" contains a control character at position %d, which cannot be carried to the node safely", "type it without tabs, line breaks or other control characters", utf8.RuneCountInString(v[:i])+1)
		}
	}
	// A short secret is too easy to find again inside ordinary text (a host name, a
	// path): the redactor could not keep it out of a log without mangling that text.
	if n := utf8.RuneCountInString(v); n < MinSecretLength {
		return bad("the "+kind.String()+" has %d characters; ssisha needs at least %d, so that it can be told apart from other text and kept out of every log", "type a longer password", n, MinSecretLength)
	}
	switch kind {
	case ServiceAccountPassword:
		if strings.Contains(v, `"`) {
			return bad("the "+kind.String()+` contains a double quote ("), which cannot be carried on the setup.exe command line (/PARAM="value")`, "choose a password without double quotes")
		}
	case LoggingPassword:
		if strings.ContainsAny(v, `'";`) {
			return bad("the "+kind.String()+` contains ' or " or ;, which break the connection string given to catalog.update_logdb_info that workers parse`, "choose a password without quotes and semicolons")
		}
		return sqlComplexity(kind, v, login)
	case MasterKeyPassword:
		return sqlComplexity(kind, v, login)
	}
	return nil
}

// sqlComplexity applies SQL Server's password policy: 8 to 128 characters, three of
// the four character categories, and not containing the login name.
func sqlComplexity(kind PasswordKind, v, login string) error {
	n := utf8.RuneCountInString(v)
	if n < 8 {
		return bad("the "+kind.String()+" has %d characters; SQL Server requires at least 8", "type a longer password", n)
	}
	if n > 128 {
		return bad("the "+kind.String()+" has %d characters; SQL Server allows at most 128", "type a shorter password", n)
	}
	var upper, lower, digit, other bool
	for _, r := range v {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	categories := 0
	for _, ok := range []bool{upper, lower, digit, other} {
		if ok {
			categories++
		}
	}
	if categories < 3 {
		return bad("the "+kind.String()+" uses %d of the 4 character kinds; SQL Server requires 3 of upper case, lower case, digits and symbols", "mix in the missing kinds", categories)
	}
	if login != "" && strings.Contains(strings.ToLower(v), strings.ToLower(login)) {
		return bad("the "+kind.String()+" contains the login name, which SQL Server refuses", "choose a password that does not contain the login name")
	}
	return nil
}
