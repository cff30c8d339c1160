package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

func (a *app) validateCmd() *cobra.Command {
	var file, output string
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate -f answers.yaml [--offline] [--output json]",
		Short: "Check the answers, and the network facts behind them",
		Long: `validate checks the answer file and lists every problem at once, each with its field
path, its line and what to type instead. Unless --offline, it then checks the network
facts behind the answers: from this machine, that every node's WinRM and SQL port
answers and that each WinRM certificate carries the node's name and verifies; from the
primary node, that names that must be free are free,
accounts exist, addresses are unused, the certificate carries the master's DNS name,
and every node answers; then it runs the read-only preflight checks on every node.
Exit code 2 when anything is wrong. --output json prints one object: file, offline,
ok, problems (path, line, problem, fix), and unless offline reach, networkFacts and
preflight.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return invalid("no answer file: pass -f answers.yaml")
			}
			if err := checkOutput(output); err != nil {
				return err
			}
			v := &validation{app: a, text: output != "json", rep: validateJSON{File: file, Offline: offline, Problems: []problemJSON{}}}
			err := v.run(cmd.Context(), file, offline)
			if !v.text && v.written {
				if werr := writeJSON(a.out, v.rep); werr != nil {
					return werr
				}
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "answer file (required)")
	cmd.Flags().BoolVar(&offline, "offline", false, "check the file only, not the network facts behind it")
	cmd.Flags().StringVar(&output, "output", "text", "text, or json: one object with every finding")
	return cmd
}

// validation is one run of validate: it prints as it goes (text), or collects the
// findings into one object (JSON).
type validation struct {
	*app
	text bool
	rep  validateJSON
	// written says the JSON object is worth printing: the file could be read.
	written bool
}

func (v *validation) run(ctx context.Context, file string, offline bool) error {
	a := v.app
	ans, err := v.answers(file)
	if err != nil || ans == nil {
		return err
	}
	if offline {
		// Offline, the secrets given are checked; missing ones are not asked for.
		sec, err := answers.LoadSecrets(a.getenv, a.secretsFile)
		if err != nil {
			return invalidErr(err)
		}
		if errs := sec.Check(); len(errs) > 0 {
			v.rep.Problems = append(v.rep.Problems, toProblemsJSON(errs)...)
			return checkSecrets(sec)
		}
		v.rep.OK = true
		if v.text {
			fmt.Fprintf(a.out, "%s: no problems found (offline: network facts not checked)\n", file)
		}
		return nil
	}
	sec, err := a.loadSecrets(ans)
	if err != nil {
		v.written = false
		return err
	}
	// validate only reads: the network facts and the preflight checks read one
	// moment of the estate and share their reads.
	o := a.sessionOptions()
	o.SharedReads = true
	s, err := a.open(ctx, ans, sec, o)
	if err != nil {
		v.written = false
		return err
	}
	defer s.Close()
	problems := 0
	v.say("From this machine:")
	for _, r := range ssisha.Reach(ctx, ans) {
		v.rep.Reach = append(v.rep.Reach, toReachJSON(r))
		v.say(fmt.Sprintf("%-4s %-42s %s", r.Mark, r.What, r.Detail))
		if r.Mark == ssisha.ReachFail {
			problems++
		}
	}
	v.say("\nFrom the primary node:")
	problems += v.checkNetworkFacts(ctx, s)
	v.say("\nPreflight (read-only, every node):")
	checks, err := s.PreflightChecks(ctx, ans, sec, nil)
	if err != nil {
		v.written = false
		return failed(s.Redact(err))
	}
	for _, c := range checks {
		v.rep.Preflight = append(v.rep.Preflight, toCheckJSON(c))
		if v.text {
			printCheck(a.out, "", c)
		}
		if c.Status == steps.CheckFailed {
			problems++
		}
	}
	if problems > 0 {
		return invalid("%s: %d network fact(s) or preflight check(s) failed; see above", file, problems)
	}
	v.rep.OK = true
	v.say(file + ": no problems found")
	return nil
}

// answers loads the answer file. As text, a file with problems is an error listing
// them (loadAnswers); as JSON, they become the object's problems, and the error only
// sets the exit code.
func (v *validation) answers(file string) (*answers.Answers, error) {
	if v.text {
		return v.loadAnswers(file)
	}
	ans, err := answers.Load(file)
	var parse answers.ParseErrors
	if errors.As(err, &parse) {
		for _, p := range parse {
			v.rep.Problems = append(v.rep.Problems, problemJSON{Path: p.Path, Line: p.Line, Problem: p.Problem})
		}
		v.written = true
		return nil, invalid("%s cannot be read; see problems", file)
	}
	if err != nil {
		return nil, invalidErr(fmt.Errorf("%s: %w", file, err))
	}
	v.written = true
	v.applyUserOverrides(ans)
	if errs := answers.Validate(ans); len(errs) > 0 {
		v.rep.Problems = toProblemsJSON(errs)
		return nil, invalid("%s has %d problem(s); see problems", file, len(errs))
	}
	return ans, nil
}

// say writes a line of the text output.
func (v *validation) say(line string) {
	if v.text {
		fmt.Fprintln(v.out, line)
	}
}

// networkFields lists the answers whose network facts validate checks, with values.
func networkFields(ans *answers.Answers) [][2]string {
	f := [][2]string{
		{"cluster.name", ans.Cluster.Name},
		{"cluster.staticAddress", ans.Cluster.StaticAddress},
		{"cluster.witness", ans.Cluster.Witness},
		{"masterService.dnsName", ans.MasterService.DNSName},
		{"masterService.staticAddress", ans.MasterService.StaticAddress},
		{"masterService.account", ans.MasterService.Account},
		{"availabilityGroup.listener.dnsName", ans.AvailabilityGroup.Listener.DNSName},
		{"availabilityGroup.listener.staticAddress", ans.AvailabilityGroup.Listener.StaticAddress},
	}
	if ans.MasterService.Certificate.Thumbprint != "" {
		f = append(f, [2]string{"masterService.certificate.thumbprint", ans.MasterService.Certificate.Thumbprint})
	}
	for i, m := range ans.Masters {
		f = append(f, [2]string{fmt.Sprintf("masters[%d].host", i), m.Host})
	}
	for i, w := range ans.Workers {
		f = append(f, [2]string{fmt.Sprintf("workers[%d].host", i), w.Host})
		if w.Account != "" {
			f = append(f, [2]string{fmt.Sprintf("workers[%d].account", i), w.Account})
		}
	}
	return f
}

// checkNetworkFacts checks the fact behind each answer, one line each, and returns
// how many are wrong.
func (v *validation) checkNetworkFacts(ctx context.Context, s *openSession) int {
	problems := 0
	for _, kv := range networkFields(s.ans) {
		if strings.TrimSpace(kv[1]) == "" {
			continue
		}
		fc := s.CheckField(ctx, s.ans, s.sec, kv[0], kv[1])
		mark, status := "ok  ", "ok"
		switch {
		case !fc.OK:
			mark, status = "FAIL", "fail"
			problems++
		case fc.Warning:
			mark, status = "warn", "warn"
		}
		v.rep.Facts = append(v.rep.Facts, factJSON{Field: kv[0], Value: kv[1], Status: status, Message: fc.Message})
		v.say(fmt.Sprintf("%s %-42s %s", mark, kv[0], fc.Message))
	}
	return problems
}
