package estate

import (
	"fmt"
	"strings"
)

// How Windows and SQL Server authenticate a client: the account it names and the
// login the instance holds for it.

// CheckLogin refuses user's session on the instance in when the login is gone,
// disabled or of the wrong kind, as SQL Server does on the next connection (error
// 18456). windows says the session authenticated as a Windows account.
func (e *Estate) CheckLogin(in *Instance, user string, windows bool) error {
	name := user
	if windows {
		name = e.QualifyAccount(name)
	}
	lg := in.Logins[strings.ToLower(name)]
	switch {
	case lg == nil, lg.Disabled:
		return loginFailed(name)
	case !windows && (!in.MixedMode || !strings.EqualFold(lg.Type, "SQL_LOGIN")):
		return loginFailed(name)
	case windows && !strings.EqualFold(lg.Type, "WINDOWS_LOGIN"):
		return loginFailed(name)
	}
	return nil
}

func loginFailed(name string) *SQLError {
	return &SQLError{Number: 18456, State: 1, Class: 14, Message: fmt.Sprintf("Login failed for user '%s'.", name)}
}

// QualifyAccount spells an account DOMAIN\user, however the client gave it.
func (e *Estate) QualifyAccount(user string) string {
	if i := strings.IndexByte(user, '@'); i >= 0 && !strings.Contains(user, `\`) {
		return e.Domain + `\` + user[:i]
	}
	if !strings.Contains(user, `\`) {
		return e.Domain + `\` + user
	}
	dom, name, _ := strings.Cut(user, `\`)
	if strings.EqualFold(dom, e.Domain) || strings.EqualFold(dom, e.DNSSuffix) || strings.EqualFold(dom, ShortName(e.DNSSuffix)) {
		return e.Domain + `\` + name
	}
	return user
}
