package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps/engine"
)

// checkOutput refuses an --output value before anything connects to a node.
func checkOutput(output string) error {
	switch output {
	case "", "text", "json":
		return nil
	}
	return invalid("--output %q: choose text or json", output)
}

func (a *app) progressSubscriber(output string) (engine.Subscriber, error) {
	switch output {
	case "", "text":
		return engine.TextLines(a.out), nil
	case "json":
		return engine.JSONLines(a.out), nil
	}
	return nil, invalid("--output %q: choose text or json", output)
}

func (a *app) planCmd() *cobra.Command {
	var f runFlags
	var out, runbookPath string
	var verbose bool
	cmd := &cobra.Command{
		Use:   "plan -f answers.yaml [--out DIR] [--runbook FILE.md]",
		Short: "Show what will change, per step and node, with the exact scripts",
		Long: `plan detects, read-only and on every node in parallel, what each step has already
done and what it would change, and shows it per step and node. Every step is planned
before anything runs: a step after one that changes the estate is planned on the estate
that change leaves (marked *), and a value that exists only once apply has run (a
certificate thumbprint, a SID) is shown as <after apply: name>. With --out it writes the
reviewable bundle: every PowerShell script and T-SQL batch of every step as it will run,
per node in run order, secrets only as placeholders, with a manifest of sha256 hashes
that also lists the placeholders of each script. --output json writes the plan as one
object (steps, targets, actions with their symbols and script files, the counts and the
fingerprint) for a pipeline to keep or diff. The plan's fingerprint ties it to the facts
it was computed from: apply refuses a stale plan. With --runbook it writes the plan as
the change ticket's document (Markdown): the estate, the answers (no secrets), every
step with its actions and scripts per node, the rollback plan and the verification to
run after.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, err := a.openRun(cmd.Context(), f, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			a.showLock(cmd.Context(), s)
			p, err := s.Plan(cmd.Context(), s.ans, s.sec, nil)
			if err != nil {
				return failed(s.Redact(err))
			}
			if out != "" {
				if err := s.WriteBundle(p, out); err != nil {
					return failed(fmt.Errorf("writing the bundle to %s: %w", out, err))
				}
			}
			if runbookPath != "" {
				if err := a.writeRunbook(runbookPath, s.ans, p, f.file); err != nil {
					return failed(err)
				}
			}
			if f.output == "json" {
				return a.planJSON(s, p)
			}
			printPlan(a.out, p, verbose)
			if out != "" {
				fmt.Fprintf(a.out, "Bundle written to %s (review it, then: ssisha apply -f %s --bundle %s)\n", out, f.file, out)
			}
			return undetected(p)
		},
	}
	f.register(cmd, "only these steps, e.g. 5,6 or 7-9", "text or json")
	cmd.Flags().StringVar(&out, "out", "", "write the reviewable bundle of scripts to this directory")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show every script in full")
	cmd.Flags().StringVar(&runbookPath, "runbook", "", "write the plan as a change runbook (Markdown) to this file")
	return cmd
}

func (a *app) applyCmd() *cobra.Command {
	f := runFlags{changes: true}
	var bundle string
	var skipChecks []string
	var yes, outOfOrder, breakLock bool
	var order string
	cmd := &cobra.Command{
		Use:   "apply -f answers.yaml [--steps 5,6] [--yes] [--order strict]",
		Short: "Run the steps (all, or the ones named); resumes an interrupted run",
		Long: `apply plans afresh, shows what will change and asks for confirmation (--yes skips
the question; without a terminal, --yes is required). Each step's target starts as soon
as what it needs from earlier steps is done (a worker's setup runs while the masters are
installed), up to --parallel targets at once and one installer per node; --order strict
keeps the documented order, each step after the last target of the one before, and
--parallel 1 runs one action at a time in that order. Every remote action is written to the
journal before and after it runs. A failure stops new work, lets running actions finish,
and says per node what happened and what to do.

An interrupted run is found in the journal and resumed: interrupted actions are
re-detected on their node before anything continues. --steps re-runs just those steps
(it refuses while an earlier step they depend on is not done). --bundle refuses to run
unless the estate still matches the plan the bundle was written from, and stops before a
step changes anything when what it has to do differs from the bundle's scripts beyond
their <after apply: …> placeholders. Without --bundle such differences are reported at
the end (and, with --output json, as plan-deviation events and a last plan-against-actual
line).

Before anything changes, apply checks the answers and the secrets (exit 2) and runs
the read-only preflight checks on every node (exit 1 when one fails). A failed check
you have verified by hand may be skipped by naming it with --skip-check; the journal
records that the run skipped it.

Only one run changes a cluster at a time. apply and rollback take a lock file beside
the journal (the system releases it when the process ends) and put a marker on the
primary node (C:\ProgramData\ssisha\estate.lock.json) naming the machine, user,
process and start time, which every ssisha honours from any machine; a second run
exits at once (code 3) naming the holder, and plan and status show it. A marker
left behind by a run whose machine died is removed with --break-lock, once you are
sure that run is gone (a marker left by a process of this machine that has ended is
taken over without it).`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if order != "graph" && order != "strict" {
				return invalid("--order %s: choose graph (the default) or strict", order)
			}
			s, steps, err := a.openRun(ctx, f, func(o *ssisha.Options) {
				o.OutOfOrder, o.StrictOrder, o.LogAll, o.FollowPlan = outOfOrder, order == "strict", true, bundle != ""
				o.SkipChecks, o.BreakLock = skipChecks, breakLock
			})
			if err != nil {
				return err
			}
			defer s.Close()
			output := f.output
			release, err := a.lock(ctx, s, "apply")
			if err != nil {
				return err
			}
			defer release()
			if err := a.gate(ctx, s); err != nil {
				return err
			}
			interrupted := s.Interrupted(s.ans)
			for _, r := range interrupted {
				if r.Kind == engine.KindRunEnd {
					a.note(output, "resuming: the last apply was stopped before it finished; every step is re-detected before anything continues")
					continue
				}
				a.note(output, "resuming: step %d on %s was interrupted during %q; it is re-detected before anything continues", r.Step, r.Target, r.Summary)
			}
			p, err := s.Plan(ctx, s.ans, s.sec, s.emit)
			if err != nil {
				return failed(s.Redact(err))
			}
			if bundle != "" {
				want, err := bundleFingerprint(bundle)
				if err != nil {
					return invalidErr(err)
				}
				if want != p.Fingerprint {
					return &exitError{code: ExitAborted, err: fmt.Errorf("%w: the estate changed since the bundle in %s was written (fingerprint %s, now %s); run ssisha plan --out again and review it", engine.ErrStalePlan, bundle, short(want), short(p.Fingerprint))}
				}
			}
			counts := p.Counts()
			actions, blocked := counts.Actions, counts.Blocked
			if actions == 0 && blocked == 0 && len(interrupted) == 0 {
				a.note(output, "Nothing to do: every step is already done on every target.")
				return nil
			}
			if output != "json" {
				printPlan(a.out, p, false)
			}
			// With nothing left to change, the run only settles the interrupted actions in
			// the journal (each is found done), which changes nothing on a node.
			if actions > 0 || blocked > 0 {
				if err := a.confirm(yes, "Apply "+engine.CountsText(counts)+"?"); err != nil {
					return err
				}
			}
			runCtx, stop, release := a.gracefulStop(ctx)
			defer release()
			r, err := s.ApplyUntil(runCtx, stop, s.ans, s.sec, p, steps, s.emit)
			if r != nil && output != "json" {
				fmt.Fprintln(a.out)
				printRecap(a.out, r)
				printDeviations(a.out, r)
			}
			if r != nil && output == "json" {
				if err := writePlanAgainstActual(a.out, counts, r); err != nil {
					return failed(err)
				}
			}
			if err != nil {
				if ctx.Err() != nil || runCtx.Err() != nil {
					return aborted("interrupted; the journal is ready: run the same command again to resume")
				}
				return failed(s.Redact(err))
			}
			if ctx.Err() != nil {
				return aborted("stopped after the running actions; the journal is ready: run the same command again to resume")
			}
			if r != nil && r.Status == engine.StatusFailed {
				return failed(fmt.Errorf("the run failed; see above for each node, fix the cause and run apply again (it resumes), or roll back with ssisha rollback"))
			}
			return nil
		},
	}
	f.register(cmd, "only these steps, e.g. 5,6 or 7-9", "progress as text or json (one event per line)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().StringVar(&bundle, "bundle", "", "refuse unless the estate still matches the plan bundle in this directory")
	cmd.Flags().BoolVar(&outOfOrder, "out-of-order", false, "run --steps even when an earlier step is not done")
	cmd.Flags().StringVar(&order, "order", "graph", "graph: start each step's targets once what they need is done; strict: the documented order, step after step")
	registerBreakLock(cmd, &breakLock)
	cmd.Flags().StringArrayVar(&skipChecks, "skip-check", nil, "go on although this preflight check fails (its name, e.g. \"No restart pending\"; repeatable; the journal records it)")
	return cmd
}

func (a *app) rollbackCmd() *cobra.Command {
	f := runFlags{changes: true}
	var yes, breakLock bool
	cmd := &cobra.Command{
		Use:   "rollback -f answers.yaml [--steps 9-7] [--yes]",
		Short: "Undo what the journal records, newest first",
		Long: `rollback undoes the actions the journal records for this cluster, newest first, steps
in reverse order. What cannot be undone (for example the original random password of
the logging login) is skipped and reported with the reason.

Like apply, it takes the cluster's lock first (see apply --help).`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, steps, err := a.openRun(cmd.Context(), f, func(o *ssisha.Options) { o.BreakLock = breakLock })
			if err != nil {
				return err
			}
			defer s.Close()
			release, err := a.lock(cmd.Context(), s, "rollback")
			if err != nil {
				return err
			}
			defer release()
			what := "every step"
			if len(steps) > 0 {
				what = "steps " + f.only
			}
			if err := a.confirm(yes, fmt.Sprintf("Undo %s on cluster %s, newest first?", what, s.ans.Cluster.Name)); err != nil {
				return err
			}
			r, err := s.Rollback(cmd.Context(), s.ans, s.sec, steps, s.emit)
			if r != nil && f.output != "json" {
				fmt.Fprintln(a.out)
				printRecap(a.out, r)
				if left := leftBehind(steps); left != "" {
					fmt.Fprintln(a.out, left)
				}
			}
			if err != nil {
				return failed(s.Redact(err))
			}
			if r != nil && r.Status == engine.StatusFailed {
				return failed(fmt.Errorf("the rollback failed on at least one node; see above"))
			}
			return nil
		},
	}
	f.register(cmd, "only these steps, e.g. 9-7", "progress as text or json")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	registerBreakLock(cmd, &breakLock)
	return cmd
}

func (a *app) statusCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "status -f answers.yaml [--output json]",
		Short: "Per step and node: done, pending, drift or blocked",
		Args:  a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, err := a.openRun(cmd.Context(), f, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			a.showLock(cmd.Context(), s)
			p, err := s.Status(cmd.Context(), s.ans, s.sec, nil)
			if err != nil {
				return failed(s.Redact(err))
			}
			if f.output == "json" {
				return a.planJSON(s, p)
			}
			printStatus(a.out, p)
			return undetected(p)
		},
	}
	f.register(cmd, "", "text or json")
	return cmd
}

func (a *app) verifyCmd() *cobra.Command {
	var f runFlags
	var report string
	var failover bool
	cmd := &cobra.Command{
		Use:   "verify -f answers.yaml [--failover] [--report FILE.md] [--output json]",
		Short: "Post-install report per node and check",
		Long: `verify reads back every step on every node and reports each check as Success,
Warning, Failed or Skipped, with the detail and the fix. --report writes it as Markdown
for the change ticket. --failover also moves the master role and the availability group
to each other node and back, checking the master endpoint, SSISDB, logging and the
workers at each stop. --output json prints one object: ok, the counts by status
(success, warning, failed, skipped) and checks (step, title, target, name, status,
detail, fix).`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, err := a.openRun(cmd.Context(), f, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			if failover {
				// The failover test moves the AG and the master role: no other run may
				// change the cluster meanwhile.
				release, err := a.lock(cmd.Context(), s, "verify --failover")
				if err != nil {
					return err
				}
				defer release()
			}
			vr, err := s.Verify(cmd.Context(), s.ans, s.sec, nil)
			if err != nil {
				return failed(s.Redact(err))
			}
			if failover {
				fr, err := s.FailoverTest(cmd.Context(), s.ans, s.sec, nil)
				if err != nil {
					return failed(s.Redact(err))
				}
				vr.Checks = append(vr.Checks, fr...)
			}
			if report != "" {
				if err := engine.WritePrivateFile(report, []byte(vr.Markdown())); err != nil {
					return failed(fmt.Errorf("writing the report %s: %w", report, err))
				}
			}
			if f.output == "json" {
				if err := writeJSON(a.out, toVerifyJSON(vr)); err != nil {
					return err
				}
			} else {
				printChecks(a.out, vr)
			}
			for _, c := range vr.Checks {
				if c.Status == "Failed" {
					return failed(fmt.Errorf("verification found failed checks; each one says what to do"))
				}
			}
			return nil
		},
	}
	f.register(cmd, "", "text or json")
	cmd.Flags().BoolVar(&failover, "failover", false, "also move the master role and the availability group around and check each stop")
	cmd.Flags().StringVar(&report, "report", "", "write the report as Markdown to this file")
	return cmd
}

// register adds the shared flags to cmd: the answer file, --steps when stepsHelp
// says what it takes, and --output.
func (f *runFlags) register(cmd *cobra.Command, stepsHelp, outputHelp string) {
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "answer file (required)")
	if stepsHelp != "" {
		cmd.Flags().StringVar(&f.only, "steps", "", stepsHelp)
	}
	cmd.Flags().StringVar(&f.output, "output", "text", outputHelp)
}

// note writes an informational line, unless the output is JSON events.
func (a *app) note(output, format string, args ...any) {
	if output == "json" {
		fmt.Fprintf(a.errOut, format+"\n", args...)
		return
	}
	fmt.Fprintf(a.out, format+"\n", args...)
}

func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}

func bundleFingerprint(dir string) (string, error) {
	b, err := os.ReadFile(dir + string(os.PathSeparator) + "manifest.json")
	if err != nil {
		return "", fmt.Errorf("--bundle %s: %w (write one with ssisha plan --out %s)", dir, err, dir)
	}
	var m struct {
		Fingerprint string `json:"fingerprint"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Fingerprint == "" {
		return "", fmt.Errorf("--bundle %s: manifest.json carries no plan fingerprint", dir)
	}
	return strings.TrimSpace(m.Fingerprint), nil
}

func printChecks(w io.Writer, vr *engine.VerifyReport) {
	for _, c := range vr.Checks {
		printCheck(w, fmt.Sprintf("step %d  ", c.Step), c)
	}
}

// printCheck writes one check: its status, where (after the prefix), what, the
// detail and, unless it passed, the fix on a line of its own.
func printCheck(w io.Writer, prefix string, c engine.VerifyCheck) {
	fmt.Fprintf(w, "%-8s %s%-26s %s", c.Status, prefix, c.Target, c.Name)
	if c.Detail != "" {
		fmt.Fprintf(w, ": %s", c.Detail)
	}
	fmt.Fprintln(w)
	if c.Fix != "" && c.Status != "Success" {
		fmt.Fprintf(w, "         fix: %s\n", c.Fix)
	}
}

// planJSON writes the plan (or the status, a plan of the real estate only) as the one
// documented object, and exits 1 when a target could not be detected.
func (a *app) planJSON(s *openSession, p *engine.Plan) error {
	doc, err := s.PlanDoc(p)
	if err != nil {
		return failed(err)
	}
	if err := writePlanJSON(a.out, doc); err != nil {
		return err
	}
	return undetected(p)
}
