package steps

import (
	"context"
	"fmt"

	"github.com/ssisha/ssisha/remote/script"
)

// The one-shot task's precondition. The cluster cmdlets of steps 1 and 7 cannot
// reach the domain from a WinRM session (no delegation), so they run in a scheduled
// task registered with the operator's password, on whichever master node runs the
// step. The policy "Network access: Do not allow storage of passwords and
// credentials for network authentication" forbids storing that password, and
// Register-ScheduledTask then fails with "A specified logon session does not exist"
// (0x80070520), which names neither the policy nor the fix. The task scripts look
// for the policy themselves; this check says it before anything changes.

// checkNamePasswordStorage is the check's name, as --skip-check takes it.
const checkNamePasswordStorage = "Scheduled task may store the operator's password"

// passwordStoragePolicy is what win.policy.storedcreds reports.
type passwordStoragePolicy struct {
	// DisableDomainCreds is HKLM\SYSTEM\CurrentControlSet\Control\Lsa
	// DisableDomainCreds: 1 when the policy is on, 0 or absent (-1) when off.
	DisableDomainCreds int `json:"disableDomainCreds"`
}

func psPasswordStoragePolicy() script.PowerShell {
	return psWinRead("win.policy.storedcreds", nil, `$v = Get-ItemProperty -Path 'HKLM:\SYSTEM\CurrentControlSet\Control\Lsa' -Name DisableDomainCreds -ErrorAction SilentlyContinue
$n = -1
if ($v -and $null -ne $v.DisableDomainCreds) { $n = [int]$v.DisableDomainCreds }
$r = [pscustomobject]@{ disableDomainCreds = $n }
`)
}

// checkPasswordStorage fails on a master node where the policy is on: steps 1 and 7
// (and their undo) could not run their cluster cmdlets there.
func checkPasswordStorage(ctx context.Context, env *Env, t Target) Check {
	const name = checkNamePasswordStorage
	var f passwordStoragePolicy
	if err := env.PS(ctx, t.Host, psPasswordStoragePolicy(), &f); err != nil {
		return Check{Name: name, Status: CheckFailed, Detail: fmt.Sprintf("%s did not answer: %v", t.Host, err), Fix: "check that WinRM is enabled there and the connection settings are right"}
	}
	if f.DisableDomainCreds == 1 {
		return Check{Name: name, Status: CheckFailed,
			Detail: fmt.Sprintf("on %s the policy 'Network access: Do not allow storage of passwords and credentials for network authentication' is on (HKLM\\SYSTEM\\CurrentControlSet\\Control\\Lsa DisableDomainCreds = 1): the scheduled task that runs the cluster cmdlets of steps 1 and 7 with your password cannot be registered (Register-ScheduledTask fails with 0x80070520)", t.Host),
			Fix:    fmt.Sprintf("turn the policy off on %s for the run (Local Security Policy > Security Options, or the GPO that sets it, then gpupdate /force) and run again; ssisha removes the task and its stored password as soon as the cmdlets finish", t.Host)}
	}
	return Check{Name: name, Status: CheckSuccess, Detail: "the policy that forbids storing passwords is off"}
}
