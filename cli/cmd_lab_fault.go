package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/remote/lab"
)

// faultFlagHelp is the --fault help: the form and the kinds.
var faultFlagHelp = "inject a fault, KIND[:host=H,op=OP,after=N,duration=D] (repeatable); kinds: " + strings.Join(lab.FaultKindNames(), ", ")

func registerFaultFlag(cmd *cobra.Command, to *[]string) {
	cmd.Flags().StringArrayVar(to, "fault", nil, faultFlagHelp)
}

// parseFaultFlags reads the --fault values; a bad one is a usage error.
func parseFaultFlags(specs []string) ([]lab.Fault, error) {
	var out []lab.Fault
	for _, s := range specs {
		f, err := lab.ParseFault(s)
		if err != nil {
			return nil, invalid("--fault %s: %v", s, err)
		}
		out = append(out, f)
	}
	return out, nil
}

// serveFaultControl lets `ssisha lab fault` change the faults of this lab until ctx
// ends, and says so on the screen when they change.
func (a *app) serveFaultControl(ctx context.Context, l *lab.Lab, dir string) {
	go func() {
		err := l.ServeFaultControl(ctx, dir, 200*time.Millisecond, func(st lab.FaultState) {
			switch {
			case st.Error != "":
				fmt.Fprintf(a.out, "lab: fault request refused: %s\n", st.Error)
			case len(st.Faults) == 0:
				fmt.Fprintln(a.out, "lab: faults cleared")
			default:
				fmt.Fprintf(a.out, "lab: faults in force: %s\n", strings.Join(st.Faults, " "))
			}
		})
		if err != nil {
			fmt.Fprintf(a.errOut, "lab: `ssisha lab fault` cannot reach this lab: %v\n", err)
		}
	}()
}

func (a *app) labFaultCmd() *cobra.Command {
	var dir string
	var add []string
	var clear bool
	cmd := &cobra.Command{
		Use:   "fault --dir DIR [KIND[:SETTINGS]]...",
		Short: "Change the faults of a lab that `ssisha lab serve --dir DIR` runs",
		Long: `fault changes the faults a running lab injects, so that a failure can be practised
in the middle of a run. With faults named, they replace those in force; with --add
they are added; --clear removes every fault; with nothing, the faults in force are
listed. The lab applies the change within a fraction of a second.

A fault is KIND[:key=value,...] with the keys host, op, after and duration:

  node-down:host=node2               the node drops every connection
  unreachable:host=node1,after=3     3 more requests pass, then the network goes away
  latency:duration=40ms              every round trip (or host=H: only to H)
  winrm-fault:op=master.install      WinRM answers a SOAP fault instead of running op
  auth-failure:host=node1            WinRM 401 and SQL Server error 18456
  sql-reset:host=node1,after=2       the TDS connection is reset once
  slow-op:op=ssisdb.catalog.create,duration=20m    op takes that much longer
  ag-failover-at:host=node2,op=OP    the AG fails over to node2 just before OP
  master-failover-at:host=node2,op=OP

The request goes through files in DIR (faults-request.json, answered in faults.json):
whoever may write DIR may change the faults; nothing listens on the network for it.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return invalid("lab fault needs --dir DIR: the folder of the running `ssisha lab serve --dir DIR`")
			}
			if clear && (len(args) > 0 || len(add) > 0) {
				return invalid("--clear removes every fault; name faults without it to replace them, or with --add to add them")
			}
			st, err := lab.ReadFaultState(dir)
			if err != nil {
				return invalidErr(err)
			}
			if !clear && len(args) == 0 && len(add) == 0 {
				a.printFaults(st.Faults)
				return nil
			}
			want, err := parseFaultFlags(args)
			if err != nil {
				return err
			}
			more, err := parseFaultFlags(add)
			if err != nil {
				return err
			}
			if len(add) > 0 {
				cur, err := parseFaultFlags(st.Faults)
				if err != nil {
					return failed(err)
				}
				want = append(append(cur, want...), more...)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			st, err = lab.RequestFaults(ctx, dir, want)
			if err != nil {
				return failed(err)
			}
			a.printFaults(st.Faults)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "the folder of the running `ssisha lab serve --dir DIR`")
	cmd.Flags().StringArrayVar(&add, "add", nil, "add this fault to those in force (repeatable)")
	cmd.Flags().BoolVar(&clear, "clear", false, "remove every fault")
	return cmd
}

func (a *app) printFaults(faults []string) {
	if len(faults) == 0 {
		fmt.Fprintln(a.out, "no faults in force")
		return
	}
	fmt.Fprintln(a.out, "faults in force:")
	for _, f := range faults {
		fmt.Fprintln(a.out, "  "+f)
	}
}
