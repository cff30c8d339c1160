// Package envvar names the SSISHA_* environment variables, once for every package
// that reads or sets them: the answers and secrets, the engine's journal, the CLI and
// the lab. It imports nothing, so any layer can use it.
package envvar

// Prefix starts every name; a secret's placeholder name is the rest, in lower case
// with hyphens (SSISHA_WINRM_PASSWORD is winrm-password).
const Prefix = "SSISHA_"

// The secrets. Each is also a key of the --secrets file.
const (
	WinRMPassword         = Prefix + "WINRM_PASSWORD"          // the WinRM user's password
	SQLPassword           = Prefix + "SQL_PASSWORD"            // the SQL login's, or the Windows user's from a non-Windows client
	MasterAccountPassword = Prefix + "MASTER_ACCOUNT_PASSWORD" // the master service account's
	WorkerAccountPassword = Prefix + "WORKER_ACCOUNT_PASSWORD" // the worker service account's
	LoggingPassword       = Prefix + "LOGGING_PASSWORD"        // the new password of the logging login
	MasterKeyPassword     = Prefix + "MASTER_KEY_PASSWORD"     // the SSISDB database master key's
	PFXPassword           = Prefix + "PFX_PASSWORD"            // protects the master certificate while it is copied
)

// The settings that are not secret. The two user names often live next to their
// passwords, so the secrets file takes them too; when set they replace
// connection.winrm.user and connection.sql.user.
const (
	WinRMUser = Prefix + "WINRM_USER" // DOMAIN\user or user@domain for WinRM
	SQLUser   = Prefix + "SQL_USER"   // DOMAIN\user for windows authentication, or the SQL login
	// WaitScale is how much of the real waits (worker registration, service starts)
	// to spend, 1 by default; the lab's files set it to match the lab's speed.
	WaitScale = Prefix + "WAIT_SCALE"
	// StateDir is the folder of the journals, instead of the user's state folder.
	StateDir = Prefix + "STATE_DIR"
)
