package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/steps/engine"
)

// runbook is the plan written as the change ticket's document: the estate, the answers
// (never secrets), every step with its actions and scripts per node, the rollback plan
// and the verification to run after.
type runbook struct {
	ans     *answers.Answers
	plan    *engine.Plan
	file    string // the answer file, for the commands the runbook names
	version string
	written time.Time
}

// write writes the runbook as Markdown.
func (r runbook) write(w io.Writer) error {
	data, err := answers.Marshal(r.ans)
	if err != nil {
		return err
	}
	b := &mdWriter{w: w}
	b.line("# Change runbook: SSIS Scale Out Master high availability on cluster %s", r.ans.Cluster.Name)
	b.line("")
	b.line("Written by ssisha %s on %s from `%s`. Plan fingerprint `%s`.", r.version, r.written.UTC().Format("2006-01-02 15:04 MST"), r.file, r.plan.Fingerprint)
	b.line("Every script below is shown as it will run, with secrets only as placeholders.")
	b.line("")
	r.summary(b)
	r.estate(b)
	r.answers(b, data)
	r.steps(b)
	r.rollback(b)
	r.verification(b)
	return b.err
}

func (r runbook) summary(b *mdWriter) {
	counts := r.plan.Counts()
	b.line("## Summary")
	b.line("")
	b.line("| Step | What | Runs on | Now |")
	b.line("|---|---|---|---|")
	for si, st := range r.plan.Steps {
		b.line("| %d | %s | %s | %s |", st.ID, cell(st.Title), st.Scope, cell(stepState(r.plan, si)))
	}
	b.line("")
	b.line("Planned: %s; %d target(s) blocked by something other than earlier steps.", engine.CountsText(counts), counts.Blocked)
	b.line("Steps after the first change are planned on the estate the earlier steps leave; values that exist only once apply has run are shown as `<after apply: name>`. `ssisha apply` detects each step again on the real estate before it runs it and reports any difference from this plan.")
	b.line("")
}

// stepState sums up a step's targets: done, pending, drift, blocked, or waiting for
// earlier steps.
func stepState(p *engine.Plan, si int) string {
	counts := map[string]int{}
	var order []string
	for _, t := range p.Steps[si].Targets {
		s := string(t.Detection.State)
		switch {
		case t.Err != "":
			s = "error"
		case t.Detection.State == steps.StateBlocked && p.AwaitsEarlierSteps(si):
			s = "after earlier steps"
		}
		if counts[s] == 0 {
			order = append(order, s)
		}
		counts[s]++
	}
	var parts []string
	for _, s := range order {
		parts = append(parts, fmt.Sprintf("%s on %d", s, counts[s]))
	}
	return strings.Join(parts, ", ")
}

func (r runbook) estate(b *mdWriter) {
	a := r.ans
	b.line("## The estate")
	b.line("")
	b.line("| Node | Role | SQL Server instance |")
	b.line("|---|---|---|")
	for i, m := range a.Masters {
		role := "master, secondary replica"
		if i == 0 {
			role = "master, initial primary replica"
		}
		b.line("| %s | %s | %s |", m.Host, role, cell(m.SQLInstance))
	}
	for _, w := range a.Workers {
		b.line("| %s | Scale Out Worker | |", w.Host)
	}
	b.line("")
	version := "detected from the nodes"
	if a.SQLVersion != 0 {
		version = fmt.Sprint(a.SQLVersion)
	}
	cert := "generated for " + a.MasterService.DNSName
	if t := a.MasterService.Certificate.Thumbprint; t != "" {
		cert = "existing, thumbprint " + t
	}
	witness := "none (the quorum is left as it is)"
	if a.Cluster.Witness != "" {
		witness = a.Cluster.Witness
	}
	workerAccount := ""
	if len(a.Workers) > 0 {
		workerAccount = a.Workers[0].Account
	}
	rows := [][2]string{
		{"SQL Server version", version},
		{"Domain", a.Domain},
		{"Failover cluster", fmt.Sprintf("%s %s (create when missing: %v)", a.Cluster.Name, a.Cluster.StaticAddress, a.Cluster.Create)},
		{"File share witness", witness},
		{"Availability group", fmt.Sprintf("%s, endpoint port %d", a.AvailabilityGroup.Name, a.AvailabilityGroup.EndpointPort)},
		{"Listener", fmt.Sprintf("%s, port %d, %s", a.AvailabilityGroup.Listener.DNSName, a.AvailabilityGroup.Listener.Port, a.AvailabilityGroup.Listener.StaticAddress)},
		{"Master access point", fmt.Sprintf("https://%s:%d, %s", a.MasterService.DNSName, a.MasterService.Port, a.MasterService.StaticAddress)},
		{"Master certificate", cert},
		{"Master service account", a.MasterService.Account},
		{"Worker service account", workerAccount},
		{"ssisha connects with", fmt.Sprintf("WinRM %s (HTTPS %v) as %s; SQL %s (encrypt %s)", a.Connection.WinRM.Auth, a.Connection.WinRM.HTTPS, orCurrent(a.Connection.WinRM.User), a.Connection.SQL.Auth, a.Connection.SQL.Encrypt)},
	}
	b.line("| What | Value |")
	b.line("|---|---|")
	for _, row := range rows {
		b.line("| %s | %s |", row[0], cell(row[1]))
	}
	b.line("")
}

func orCurrent(user string) string {
	if user == "" {
		return "the current user"
	}
	return user
}

func (r runbook) answers(b *mdWriter, data []byte) {
	b.line("## The answers")
	b.line("")
	b.line("The answer file, as ssisha read it with its defaults. It holds no secrets; the run takes them from the environment, a `--secrets` file (mode 0600) or prompts:")
	b.line("")
	b.line("| Variable | Secret |")
	b.line("|---|---|")
	for _, s := range (&answers.Secrets{}).Missing(r.ans) {
		b.line("| `%s` | %s |", s.Env, cell(s.Label))
	}
	b.line("")
	b.code("yaml", string(data))
}

func (r runbook) steps(b *mdWriter) {
	b.line("## The steps")
	b.line("")
	b.line("Legend: + create, ~ change, - delete, @ restart, ! irreversible. Steps run in order; a step's targets run in parallel.")
	b.line("")
	declared := declaredSteps()
	for si, st := range r.plan.Steps {
		b.line("### Step %d: %s", st.ID, st.Title)
		b.line("")
		b.line("Runs on %s.", st.Scope)
		b.line("")
		waiting := false
		for _, t := range st.Targets {
			d := t.Detection
			switch {
			case t.Err != "":
				b.line("#### %s (%s): detection failed", t.Target.Host, t.Target.Role)
				b.line("")
				b.line("%s", t.Err)
			case d.State == steps.StateBlocked && r.plan.AwaitsEarlierSteps(si):
				waiting = true
				b.line("#### %s (%s): after earlier steps", t.Target.Host, t.Target.Role)
				b.line("")
				b.line("Detected when its turn comes; now: %s", d.Reason)
			case d.State == steps.StateDone:
				b.line("#### %s (%s): done, nothing to change", t.Target.Host, t.Target.Role)
			default:
				b.line("#### %s (%s): %s", t.Target.Host, t.Target.Role, d.State)
				if d.Reason != "" {
					b.line("")
					b.line("Why: %s", d.Reason)
				}
				if d.Fix != "" {
					b.line("")
					b.line("Fix: %s", d.Fix)
				}
			}
			b.line("")
			for i, a := range d.Actions {
				r.action(b, i+1, a)
			}
		}
		if s, ok := declared[st.ID]; ok && waiting {
			b.line("What step %d can do on a target, once the earlier steps are done:", st.ID)
			b.line("")
			for _, a := range s.Actions() {
				info := a.Info()
				b.line("- %s %s%s", kindSymbol(info.Kind, info.Irreversible), info.Summary, irreversibleNote(info.Irreversible))
			}
			b.line("")
		}
	}
}

// action writes one planned action with its scripts, grouped per node in run order.
func (r runbook) action(b *mdWriter, n int, a steps.Action) {
	b.line("%d. %s %s (`%s`)%s", n, kindSymbol(a.Kind, a.Irreversible), a.Summary, a.ID, irreversibleNote(a.Irreversible))
	b.line("")
	for _, c := range a.Commands {
		lang := "powershell"
		if c.SQL != nil {
			lang = "sql"
		}
		b.line("   On %s (%s):", c.Host, c.Op())
		b.line("")
		b.code(lang, c.Display())
	}
}

func irreversibleNote(why string) string {
	if why == "" {
		return ""
	}
	return " — irreversible: " + why
}

func kindSymbol(k steps.ActionKind, irreversible string) string {
	return engine.Symbol(steps.Action{Kind: k, Irreversible: irreversible})
}

// declaredSteps are the steps by number, for the actions each declares.
func declaredSteps() map[int]steps.Step {
	out := map[int]steps.Step{}
	for _, s := range steps.All() {
		out[s.ID()] = s
	}
	return out
}

func (r runbook) rollback(b *mdWriter) {
	b.line("## Rollback plan")
	b.line("")
	b.line("To back the change out: `ssisha rollback -f %s` undoes what the journal records for cluster %s, newest first, steps in reverse order (`--steps 9-7` limits it to some steps). Every action is journaled before and after it runs, so rollback also covers an interrupted run. What cannot be undone is skipped and reported with the reason.", r.file, r.ans.Cluster.Name)
	b.line("")
	declared := declaredSteps()
	for si := len(r.plan.Steps) - 1; si >= 0; si-- {
		st := r.plan.Steps[si]
		s, ok := declared[st.ID]
		if !ok {
			continue
		}
		b.line("- Step %d, %s:", st.ID, st.Title)
		acts := s.Actions()
		for i := len(acts) - 1; i >= 0; i-- {
			info := acts[i].Info()
			how := "rollback undoes it"
			if info.Irreversible != "" {
				how = "left as it is: " + info.Irreversible
			}
			b.line("  - %s: %s", info.Summary, how)
		}
	}
	b.line("")
}

func (r runbook) verification(b *mdWriter) {
	b.line("## Verification after the change")
	b.line("")
	b.line("1. `ssisha status -f %s`: every step is done on every target.", r.file)
	b.line("2. `ssisha verify -f %s --report verify.md`: reads back every step on every node; each check is Success, Warning, Failed or Skipped, with the detail and the fix. Attach verify.md to the ticket.", r.file)
	b.line("3. `ssisha verify -f %s --failover`: moves the availability group and the master role to each other master node and back, checking the master endpoint, SSISDB, logging and the workers at each stop. Run it in the change window: each move is a short outage of the master.", r.file)
	b.line("")
	b.line("| Step | Verified on |")
	b.line("|---|---|")
	for _, st := range r.plan.Steps {
		var hosts []string
		for _, t := range st.Targets {
			hosts = append(hosts, t.Target.Host)
		}
		b.line("| %d %s | %s |", st.ID, cell(st.Title), strings.Join(hosts, ", "))
	}
}

// mdWriter writes Markdown lines and keeps the first write error.
type mdWriter struct {
	w   io.Writer
	err error
}

func (m *mdWriter) line(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format+"\n", args...)
	}
}

// code writes text as a fenced block, indented under a list item, with a fence longer
// than any run of backticks in it (PowerShell escapes with backticks).
func (m *mdWriter) code(lang, text string) {
	fence := "```"
	for strings.Contains(text, fence) {
		fence += "`"
	}
	m.line("   %s%s", fence, lang)
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		m.line("   %s", l)
	}
	m.line("   %s", fence)
	m.line("")
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

// writeRunbook writes the runbook of plan p to path, mode 0600 like the answer file:
// it maps the estate.
func (a *app) writeRunbook(path string, ans *answers.Answers, p *engine.Plan, file string) error {
	var buf strings.Builder
	rb := runbook{ans: ans, plan: p, file: file, version: a.build.Version, written: time.Now()}
	if err := rb.write(&buf); err != nil {
		return fmt.Errorf("writing the runbook: %w", err)
	}
	if err := os.WriteFile(path, []byte(buf.String()), 0o600); err != nil {
		return fmt.Errorf("writing the runbook to %s: %w", path, err)
	}
	fmt.Fprintf(a.errOut, "Runbook written to %s\n", path)
	return nil
}
