package steps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote/script"
)

// PS runs a PowerShell script on host and decodes its JSON result into out (which
// may be nil).
func (env *Env) PS(ctx context.Context, host string, s script.PowerShell, out any) error {
	var raw json.RawMessage
	var err error
	if s.ReadOnly && env.Reads != nil {
		// Several steps' detections of one round read the same facts of a node; the
		// round reads them once.
		raw, err = sharedRead(env, readKey("ps", host, s.Render()), func() (json.RawMessage, error) {
			return env.Remote.PowerShell(ctx, host, s)
		})
	} else {
		raw, err = env.Remote.PowerShell(ctx, host, s)
	}
	if err != nil {
		return env.Redactor.RedactError(err)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %s returned %s, which is not the expected result: %w", host, s.Op, env.Redactor.Redact(truncate(string(raw), 200)), err)
	}
	return nil
}

// SQL runs a T-SQL batch on host (a node or remote.Listener).
func (env *Env) SQL(ctx context.Context, host string, b script.TSQL) (*script.ResultSet, error) {
	var rs *script.ResultSet
	var err error
	if b.ReadOnly && env.Reads != nil {
		args, _ := json.Marshal(b.Args())
		rs, err = sharedRead(env, readKey("sql", host, b.Statement()+"\x00"+string(args)), func() (*script.ResultSet, error) {
			return env.Remote.SQL(ctx, host, b)
		})
		rs = rs.Clone()
	} else {
		rs, err = env.Remote.SQL(ctx, host, b)
	}
	if err != nil {
		return nil, env.Redactor.RedactError(err)
	}
	return rs, nil
}

// readKey names one read in a round's cache; a digest, since a script may carry a
// secret.
func readKey(kind, host, text string) string {
	sum := sha256.Sum256([]byte(text))
	return kind + " " + strings.ToLower(host) + " " + hex.EncodeToString(sum[:])
}

// Run runs one command, discarding its result.
func (env *Env) Run(ctx context.Context, c Command) error {
	switch {
	case c.PS != nil:
		return env.PS(ctx, c.Host, *c.PS, nil)
	case c.SQL != nil:
		_, err := env.SQL(ctx, c.Host, *c.SQL)
		return err
	}
	return fmt.Errorf("command on %s has no script", c.Host)
}

// RunAll runs an action's commands in order, stopping at the first failure.
func (env *Env) RunAll(ctx context.Context, a Action) error {
	for _, c := range a.Commands {
		env.Say(c.Host, a.Summary)
		if err := env.Run(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

// Say sends one progress line for host to the screen and the log.
func (env *Env) Say(host, line string) {
	if env.Output != nil {
		env.Output(host, env.Redactor.Redact(line))
	}
}

// Wait sleeps d scaled by WaitScale (real clusters need real waits; the lab does not),
// or until ctx ends.
func (env *Env) Wait(ctx context.Context, d time.Duration) error {
	scale := env.WaitScale
	if scale <= 0 {
		scale = 1
	}
	t := time.NewTimer(time.Duration(float64(d) * scale))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Clock returns the current time from Env.Now, or the wall clock.
func (env *Env) Clock() time.Time {
	if env.Now != nil {
		return env.Now()
	}
	return time.Now()
}

// PSCommand is a shorthand for a PowerShell Command.
func PSCommand(host string, s script.PowerShell) Command { return Command{Host: host, PS: &s} }

// SQLCommand is a shorthand for a T-SQL Command.
func SQLCommand(host string, b script.TSQL) Command { return Command{Host: host, SQL: &b} }

// Row returns the first row of rs as a column map, or nil.
func Row(rs *script.ResultSet) map[string]any {
	if m := rs.Maps(); len(m) > 0 {
		return m[0]
	}
	return nil
}

// Str returns a column value as a string ("" for NULL).
func Str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return fmt.Sprintf("0x%X", x)
	default:
		return fmt.Sprint(x)
	}
}

// Int returns a column value as an int (0 for NULL or non-numbers).
func Int(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case int32:
		return int(x)
	case float64:
		return int(x)
	case bool:
		if x {
			return 1
		}
	case string:
		var n int
		_, _ = fmt.Sscan(x, &n)
		return n
	}
	return 0
}

// SameAccount compares Windows account names the way Windows does: case-insensitive,
// DOMAIN\user and user@domain.fqdn being the same when the user parts match and the
// domain matches the NetBIOS name or the FQDN's first label.
func SameAccount(a, b string) bool {
	na, da := splitAccount(a)
	nb, db := splitAccount(b)
	return strings.EqualFold(na, nb) && (da == "" || db == "" || strings.EqualFold(da, db))
}

func splitAccount(s string) (user, domain string) {
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		return s[i+1:], s[:i]
	}
	if i := strings.IndexByte(s, '@'); i >= 0 {
		d := s[i+1:]
		if j := strings.IndexByte(d, '.'); j >= 0 {
			d = d[:j]
		}
		return s[:i], d
	}
	return s, ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// SameHost compares host names the way the estate does: case-insensitive, a short
// name matching the first label of an FQDN.
func SameHost(a, b string) bool {
	a, b = strings.ToLower(strings.TrimSpace(a)), strings.ToLower(strings.TrimSpace(b))
	if a == b {
		return true
	}
	return hostShortName(a) == hostShortName(b) && (!strings.Contains(a, ".") || !strings.Contains(b, "."))
}

// runAsOperator is the account the scheduled-task scripts log on as: the operator's
// WinRM credentials. problem says what is missing when there are none.
func runAsOperator(env *Env) (user string, password script.Secret, problem string) {
	user = env.Answers.Connection.WinRM.User
	if env.Secrets != nil {
		password = script.NewSecret("operator-password", env.Secrets.WinRMPassword.Reveal())
	}
	if user == "" || password.IsZero() {
		return user, password, "New-Cluster and Add-ClusterGenericServiceRole must run with your own credentials on the node (a WinRM session cannot pass them on to Active Directory), so ssisha runs them in a one-shot scheduled task as you; set connection.winrm.user and SSISHA_WINRM_PASSWORD"
	}
	return user, password, ""
}

// runCollect runs commands in order and returns each one's JSON result.
func runCollect(ctx context.Context, env *Env, summary string, cmds []Command) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(cmds))
	for _, c := range cmds {
		env.Say(c.Host, summary)
		var raw json.RawMessage
		var err error
		switch {
		case c.PS != nil:
			err = env.PS(ctx, c.Host, *c.PS, &raw)
		default:
			err = env.Run(ctx, c)
		}
		if err != nil {
			return out, err
		}
		out = append(out, raw)
	}
	return out, nil
}
