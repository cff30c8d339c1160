package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/bench"
)

func (a *app) labBenchCmd() *cobra.Command {
	c := bench.Default()
	var output, planWorkers, source, trace string
	cmd := &cobra.Command{
		Use:   "bench [--output text|json]",
		Short: "Measure ssisha against labs on this machine: apply, round trips, plan at scale, screen, footprint",
		Long: `bench starts labs in this process and measures ssisha against them with the same client
code a real cluster gets:

  - a full apply against the lower bound the steps' order allows (the sum over steps
    of the busiest target's operation time), and the same apply one target at a time;
  - WinRM HTTP requests per PowerShell command and TDS round trips per T-SQL batch;
  - a plan at two sizes, and how it grows;
  - the run screen: View() time, and bytes per second sent to the terminal in normal
    and low-bandwidth (SSH) mode;
  - time to first frame, binary size (a go build of --source) and the peak memory of
    a plan, run as a separate ssisha process.

It takes about four minutes on two cores. docs/benchmarks.md explains every figure.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return invalid("--output %q: choose text or json", output)
			}
			if c.Apply.Masters < 2 || c.Apply.Workers < 1 || c.Apply.Speed < 0 || c.Apply.Latency < 0 {
				return invalid("bench needs --masters 2 or more, --workers 1 or more, and --speed and --latency not negative")
			}
			pw, err := parseCounts(planWorkers)
			if err != nil {
				return invalidErr(err)
			}
			c.PlanWorkers = pw
			c.SourceDir = source
			if source == "" {
				if _, err := os.Stat("go.mod"); err == nil {
					c.SourceDir = "."
				}
			}
			if exe, err := os.Executable(); err == nil {
				c.Self = []string{exe}
			}
			if output == "text" {
				c.Progress = func(s string) { fmt.Fprintln(a.errOut, "bench:", s) }
			}
			if trace != "" {
				f, err := os.OpenFile(trace, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
				if err != nil {
					return invalid("--trace %s: %v; give a file this user can write", trace, err)
				}
				defer f.Close()
				c.Trace = f
			}
			r, err := bench.Run(cmd.Context(), c)
			if err != nil {
				return failed(err)
			}
			if output == "json" {
				enc := json.NewEncoder(a.out)
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			printBench(a, r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&output, "output", "text", "text (a table with the targets) or json (one object)")
	f.IntVar(&c.Apply.Masters, "masters", c.Apply.Masters, "master nodes of the apply's lab")
	f.IntVar(&c.Apply.Workers, "workers", c.Apply.Workers, "workers of the apply's lab")
	f.Float64Var(&c.Apply.Speed, "speed", c.Apply.Speed, "share of a real estate's operation times the lab spends (0: none)")
	f.DurationVar(&c.Apply.Latency, "latency", c.Apply.Latency, "added to every WinRM and TDS round trip")
	f.StringVar(&planWorkers, "plan-workers", "5,50", "worker counts the plan is timed at, smallest first")
	f.DurationVar(&c.ScreenRun, "screen-run", c.ScreenRun, "how long each output-rate run of the run screen lasts")
	f.StringVar(&trace, "trace", "", "write the full apply's timeline (each command with its host, start and duration, and the engine's events) to this file")
	f.StringVar(&source, "source", "", "module root to go build for the binary size (default: . when it holds go.mod, else the running executable's size)")
	return cmd
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--plan-workers %q: give worker counts of 1 or more, separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// printBench is the text table: each figure beside the target it is held to.
func printBench(a *app, r *bench.Result) {
	fmt.Fprintf(a.out, "ssisha lab bench: %d masters, %d workers, speed %g, %gms per round trip\n\n",
		r.Masters, r.Workers, r.Speed, r.LatencyMillis)
	tw := tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FIGURE\tMEASURED\tTARGET\t")
	row := func(name, got, target string) { fmt.Fprintf(tw, "%s\t%s\t%s\t\n", name, got, target) }
	row("apply wall time", secs(r.ApplyWallSeconds), "")
	row("apply graph bound", secs(r.ApplyGraphBoundSeconds), "")
	row("apply wall / graph bound", fmt.Sprintf("%.2f", r.ApplyGraphRatio), "<= 1.15")
	row("apply wall / step-ordered bound", fmt.Sprintf("%.2f", r.ApplyWallOverStepBound), "<= 0.7")
	row("apply, --order strict", secs(r.ApplyStrictWallSeconds), "")
	row("step-ordered lower bound", secs(r.ApplyLowerBoundSeconds), "")
	row("--order strict wall / step-ordered bound", fmt.Sprintf("%.2f", r.ApplyRatio), "<= 1.15")
	if r.LatencyMillis > 0 {
		row("apply with no latency (its ratio)", fmt.Sprintf("%s (%.2f)", secs(r.ApplyNoLatencySeconds), r.ApplyNoLatencyRatio), "")
		row("round trips on the critical path", fmt.Sprintf("%.0f (%s of latency)", r.SerialRoundTrips, secs(r.ApplyWallSeconds-r.ApplyNoLatencySeconds)), "")
	}
	row("apply, --parallel 1", fmt.Sprintf("%s (%.2f)", secs(r.ApplySequentialSeconds), r.ApplySequentialRatio), "")
	row("HTTP requests per PowerShell command", fmt.Sprintf("%.2f (%d / %d)", r.HTTPRequestsPerCommand, r.WinRMRequests, r.PowerShellCommands), "<= 3.2")
	row("TDS round trips per T-SQL batch", fmt.Sprintf("%.2f (%d / %d)", r.TDSRoundTripsPerBatch, r.TDSRoundTrips, r.SQLBatches), "")
	if n := len(r.PlanWorkers); n > 0 {
		row(fmt.Sprintf("plan, %d workers", r.PlanWorkers[0]), secs(r.PlanSeconds5Workers), "")
		row(fmt.Sprintf("plan, %d workers", r.PlanWorkers[n-1]), secs(r.PlanSeconds50Workers), "<= 2s")
		row("plan growth", fmt.Sprintf("%.2fx", r.PlanGrowth), "close to 1")
	}
	row("run screen View()", fmt.Sprintf("%.2f ms", r.ViewMillis), "<= 2 ms")
	row("terminal output, normal", kbs(r.NormalBytesPerSecond), "")
	row("terminal output, SSH mode", kbs(r.SSHBytesPerSecond), "<= 3 KB/s")
	row("time to first frame", fmt.Sprintf("%.1f ms", r.FirstFrameMillis), "")
	row("binary size", fmt.Sprintf("%.1f MB (%s)", float64(r.BinaryBytes)/1e6, r.BinarySource), "")
	row("peak memory", fmt.Sprintf("%.1f MB (%s)", float64(r.PeakRSSBytes)/1e6, r.PeakRSSSource), "")
	_ = tw.Flush()
	fmt.Fprintln(a.out, "\nPer step of the apply with --order strict (wall from barrier to barrier; busiest target's operation time):")
	tw = tabwriter.NewWriter(a.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tWALL\tBUSY\tBUSIEST\t")
	for _, s := range r.ApplySteps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t\n", s.Step, secs(s.Wall.Seconds()), secs(s.Busy.Seconds()), s.Busiest)
	}
	_ = tw.Flush()
	fmt.Fprintf(a.out, "\nMeasured in %s.\n", secs(r.TotalSeconds))
}

func secs(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

func kbs(b float64) string { return fmt.Sprintf("%.2f KB/s", b/1024) }
