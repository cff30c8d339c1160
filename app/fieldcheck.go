package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// FieldCheck is the result of one network check behind an answer.
type FieldCheck struct {
	OK      bool
	Warning bool
	Message string
}

// CheckField checks a network fact behind one answer from the primary node (the name
// resolves or is free, the port answers, the certificate carries the master's DNS
// name). field is an answer path ("masterService.dnsName", "masters[0].host"), or
// "masters" or "workers" for a comma-separated list of hosts, each of which is also
// reached from this machine.
func (s *Session) CheckField(ctx context.Context, ans *answers.Answers, sec *answers.Secrets, field, value string) FieldCheck {
	c, err := s.conn(ctx, ans, sec)
	if err != nil && len(ans.Masters) > 1 {
		// The checks run from the primary: a typo in another node's name (the very
		// thing being checked, while the wizard asks) must not stop them.
		from := *ans
		from.Masters = ans.Masters[:1]
		c, err = s.conn(ctx, &from, sec)
	}
	if err != nil {
		return FieldCheck{OK: false, Message: "cannot check yet: " + err.Error()}
	}
	if field == "masters" || field == "workers" {
		return checkHosts(ctx, c, ans, field, value)
	}
	ok, warn, msg := steps.CheckField(ctx, c.env, field, value)
	return FieldCheck{OK: ok, Warning: warn, Message: c.red.Redact(msg)}
}

// checkHosts checks every host of a list field (the wizard asks for the masters and
// the workers as one comma-separated list).
func checkHosts(ctx context.Context, c *conn, ans *answers.Answers, field, value string) FieldCheck {
	res := FieldCheck{OK: true}
	var msgs []string
	n := 0
	for _, h := range strings.Split(value, ",") {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		ok, warn, msg := steps.CheckField(ctx, c.env, fmt.Sprintf("%s[%d].host", field, n), h)
		n++
		// And from this machine: the node's WinRM port and certificate, as ssisha will
		// reach it.
		if ok {
			if r, found := reachFromHere(ctx, ans, h); found && r.Mark == ReachFail {
				ok, msg = false, r.Detail
			}
		}
		if !ok || warn {
			if !strings.HasPrefix(msg, h+" ") {
				// Say which host of the list, unless the message starts with it.
				msg = h + ": " + msg
			}
			msgs = append(msgs, msg)
		}
		res.OK = res.OK && ok
		res.Warning = res.Warning || warn
	}
	switch {
	case len(msgs) > 0:
		res.Message = c.red.Redact(strings.Join(msgs, "; "))
	case n > 0:
		res.Message = fmt.Sprintf("%d host(s) resolve and answer WinRM", n)
	}
	return res
}

// reachFromHere runs the local WinRM probe for host, when the answers know the host.
func reachFromHere(ctx context.Context, ans *answers.Answers, host string) (ReachLine, bool) {
	cfg := answers.RemoteConfig(ans, nil)
	n, ok := cfg.Node(host)
	if !ok {
		return ReachLine{}, false
	}
	return winrmReach(ctx, cfg, caPool(cfg.WinRM.CAFile), n), true
}
