package lab

import (
	"strings"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// LocalAdminAccount is the local administrator every lab node has besides the
// domain's accounts: the one account WinRM's Basic authentication accepts, since
// Windows takes Basic for local accounts only.
const LocalAdminAccount = "labadmin"

// localAdminKey names a node's local administrator password in the lab's secrets.
func localAdminKey(host string) string { return "localadmin/" + strings.ToLower(host) }

// LocalAdmin returns host's local administrator, as NODE\labadmin, and its
// password; each node has its own.
func (l *Lab) LocalAdmin(host string) (user, password string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.localAdminLocked(host)
}

// localAdminLocked is LocalAdmin with the estate lock held; it makes the password
// the first time a node needs one.
func (l *Lab) localAdminLocked(host string) (user, password string) {
	key := localAdminKey(host)
	if l.secrets[key] == "" {
		l.secrets[key] = estate.GeneratePassword()
	}
	return strings.ToUpper(estate.ShortName(host)) + `\` + LocalAdminAccount, l.secrets[key]
}
