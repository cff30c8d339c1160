package steps

import (
	"context"
	"fmt"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// The estate lock: a marker on the primary node that says which ssisha, on which
// jump box, is changing the estate. Every ssisha honours it, whatever machine it runs
// on, so that two runs never change one estate at once; a stale one (its holder
// died without removing it) is broken by naming it (--break-lock).

// EstateLockFile is where the marker lives on the node.
const EstateLockFile = `C:\ProgramData\ssisha\estate.lock.json`

// LockHolder says who holds a lock: the machine, the user and the process, since
// when, and the token that tells this holder from another with the same names.
type LockHolder struct {
	Host    string    `json:"host"`
	User    string    `json:"user"`
	PID     int       `json:"pid"`
	Since   time.Time `json:"since"`
	Cluster string    `json:"cluster"`
	Command string    `json:"command"`
	// LockFile is the holder's OS lock file on its machine: whoever holds that lock
	// now knows the holder is gone.
	LockFile string `json:"lockFile"`
	Token    string `json:"token"`
}

// String reads like "ssisha apply by CONTOSO\dba (process 4242) on jump01 since 14:02:11 UTC".
func (h LockHolder) String() string {
	cmd := h.Command
	if cmd == "" {
		cmd = "run"
	}
	return fmt.Sprintf("ssisha %s by %s (process %d) on %s since %s", cmd, h.User, h.PID, h.Host, h.Since.UTC().Format("2006-01-02 15:04:05 UTC"))
}

// estateLockResult is what win.lock.take and win.lock.get report.
type estateLockResult struct {
	Taken  bool        `json:"taken"`
	Holder *LockHolder `json:"holder"`
}

// TakeEstateLock puts h's marker on host unless another holder's is there; with
// force it replaces any marker first (breaking a stale lock). It returns the other
// holder when the lock is taken by someone else.
func TakeEstateLock(ctx context.Context, env *Env, host string, h LockHolder, force bool) (*LockHolder, error) {
	var r estateLockResult
	if err := env.PS(ctx, host, psEstateLockTake(h, force), &r); err != nil {
		return nil, fmt.Errorf("cannot put the lock marker on %s: %w", host, err)
	}
	if r.Taken {
		return nil, nil
	}
	if r.Holder == nil {
		return nil, fmt.Errorf("%s holds a lock marker ssisha cannot read (%s); remove it with --break-lock once no other ssisha runs", host, EstateLockFile)
	}
	return r.Holder, nil
}

// EstateLockHolder reads the marker on host: nil when nobody holds the lock.
func EstateLockHolder(ctx context.Context, env *Env, host string) (*LockHolder, error) {
	var r estateLockResult
	if err := env.PS(ctx, host, psEstateLockGet(), &r); err != nil {
		return nil, err
	}
	return r.Holder, nil
}

// ReleaseEstateLock removes the marker from host when it is still the one with
// token: a lock broken and taken by another run is left to that run.
func ReleaseEstateLock(ctx context.Context, env *Env, host, token string) error {
	return env.PS(ctx, host, psEstateLockRelease(token), nil)
}

func psEstateLockTake(h LockHolder, force bool) script.PowerShell {
	return psWinChange("win.lock.take", map[string]any{
		"path": EstateLockFile, "host": h.Host, "user": h.User, "pid": h.PID,
		"since": h.Since.UTC().Format(time.RFC3339), "cluster": h.Cluster, "command": h.Command,
		"lockFile": h.LockFile, "token": h.Token, "force": force,
	}, `$dir = Split-Path -Parent $p.path
New-Item -ItemType Directory -Path $dir -Force | Out-Null
if ($p.force) { Remove-Item -LiteralPath $p.path -Force -ErrorAction SilentlyContinue }
$mine = [pscustomobject]@{ host = $p.host; user = $p.user; pid = $p.pid; since = $p.since; cluster = $p.cluster; command = $p.command; lockFile = $p.lockFile; token = $p.token }
$taken = $false
$holder = $null
try {
    # CreateNew fails when the file exists: of two runs, exactly one creates it.
    $fs = [System.IO.File]::Open($p.path, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write)
    try {
        $bytes = [System.Text.Encoding]::UTF8.GetBytes(($mine | ConvertTo-Json -Compress))
        $fs.Write($bytes, 0, $bytes.Length)
    } finally { $fs.Dispose() }
    $taken = $true
} catch {
    if (-not (Test-Path -LiteralPath $p.path)) { throw }
    $holder = Get-Content -LiteralPath $p.path -Raw | ConvertFrom-Json
    $taken = $holder.token -eq $p.token
}
$r = [pscustomobject]@{ taken = $taken; holder = $holder }
`, true)
}

func psEstateLockGet() script.PowerShell {
	return psWinRead("win.lock.get", map[string]any{"path": EstateLockFile}, `$holder = $null
if (Test-Path -LiteralPath $p.path) { $holder = Get-Content -LiteralPath $p.path -Raw | ConvertFrom-Json }
$r = [pscustomobject]@{ taken = $false; holder = $holder }
`)
}

func psEstateLockRelease(token string) script.PowerShell {
	return psWinChange("win.lock.release", map[string]any{"path": EstateLockFile, "token": token}, `$removed = $false
if (Test-Path -LiteralPath $p.path) {
    $holder = Get-Content -LiteralPath $p.path -Raw | ConvertFrom-Json
    if ($holder.token -eq $p.token) { Remove-Item -LiteralPath $p.path -Force; $removed = $true }
}
$r = [pscustomobject]@{ removed = $removed }
`, true)
}
