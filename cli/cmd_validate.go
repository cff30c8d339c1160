package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

func (a *app) validateCmd() *cobra.Command {
	var file string
	var offline bool
	cmd := &cobra.Command{
		Use:   "validate -f answers.yaml [--offline]",
		Short: "Check the answers, and the network facts behind them",
		Long: `validate checks the answer file and lists every problem at once, each with its field
path, its line and what to type instead. Unless --offline, it then checks the network
facts behind the answers: from this machine, that every node's WinRM and SQL port
answers and that each WinRM certificate carries the node's name and verifies; from the
primary node, that names that must be free are free,
accounts exist, addresses are unused, the certificate carries the master's DNS name,
and every node answers; then it runs the read-only preflight checks on every node.
Exit code 2 when anything is wrong.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if file == "" {
				return invalid("no answer file: pass -f answers.yaml")
			}
			ans, err := a.loadAnswers(file)
			if err != nil {
				return err
			}
			if offline {
				fmt.Fprintf(a.out, "%s: no problems found (offline: network facts not checked)\n", file)
				return nil
			}
			sec, err := a.loadSecrets(ans)
			if err != nil {
				return err
			}
			// validate only reads: the network facts and the preflight checks read one
			// moment of the estate and share their reads.
			o := a.sessionOptions()
			o.SharedReads = true
			s, err := a.open(cmd.Context(), ans, sec, o)
			if err != nil {
				return err
			}
			defer s.Close()
			problems := 0
			fmt.Fprintln(a.out, "From this machine:")
			for _, r := range ssisha.Reach(cmd.Context(), ans) {
				fmt.Fprintf(a.out, "%-4s %-42s %s\n", r.Mark, r.What, r.Detail)
				if r.Mark == ssisha.ReachFail {
					problems++
				}
			}
			fmt.Fprintln(a.out, "\nFrom the primary node:")
			problems += a.checkNetworkFacts(cmd.Context(), s)
			fmt.Fprintln(a.out, "\nPreflight (read-only, every node):")
			checks, err := s.PreflightChecks(cmd.Context(), ans, sec, nil)
			if err != nil {
				return failed(s.Redact(err))
			}
			for _, c := range checks {
				printCheck(a.out, "", c)
				if c.Status == steps.CheckFailed {
					problems++
				}
			}
			if problems > 0 {
				return invalid("%s: %d network fact(s) or preflight check(s) failed; see above", file, problems)
			}
			fmt.Fprintf(a.out, "%s: no problems found\n", file)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "answer file (required)")
	cmd.Flags().BoolVar(&offline, "offline", false, "check the file only, not the network facts behind it")
	return cmd
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

// checkNetworkFacts prints one line per fact and returns how many are wrong.
func (a *app) checkNetworkFacts(ctx context.Context, s *openSession) int {
	problems := 0
	for _, kv := range networkFields(s.ans) {
		if strings.TrimSpace(kv[1]) == "" {
			continue
		}
		fc := s.CheckField(ctx, s.ans, s.sec, kv[0], kv[1])
		mark := "ok  "
		switch {
		case !fc.OK:
			mark = "FAIL"
			problems++
		case fc.Warning:
			mark = "warn"
		}
		fmt.Fprintf(a.out, "%s %-42s %s\n", mark, kv[0], fc.Message)
	}
	return problems
}
