// Package cli is ssisha's command line: the cobra commands, the non-interactive rules
// (confirmation, secrets, exit codes) and the wiring of answers, remote, engine and
// the wizard.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// BuildInfo is set by the release build.
type BuildInfo struct {
	Version string
	Commit  string
	Date    string
}

// app holds the streams, the environment and the global flags; commands get their
// dependencies from it rather than from globals, so tests can run them in process.
type app struct {
	build  BuildInfo
	in     io.Reader
	out    io.Writer
	errOut io.Writer
	getenv func(string) string
	// isTerminal reports whether stdin is an interactive terminal.
	isTerminal func() bool
	// readPassword reads a line without echo from the terminal.
	readPassword func() (string, error)

	secretsFile string
	journalPath string
	logPath     string
	parallel    int
	ascii       bool
	color       string
	accessible  bool
	// allowCleartextSecrets lets secrets cross an unencrypted SQL connection.
	allowCleartextSecrets bool
}

// Main runs ssisha with args and returns the process exit code.
func Main(b BuildInfo, args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	a := newApp(b, os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	return a.run(ctx, args)
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetIn(a.in)
	root.SetOut(a.out)
	root.SetErr(a.errOut)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(a.errOut, "ssisha: %v\n", err)
	}
	return exitCode(err)
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "ssisha",
		Short: "Make an SSIS Scale Out Master highly available",
		Long: `ssisha makes an SSIS Scale Out Master highly available across a Windows Server
Failover Cluster, following the documented nine-step procedure: the cluster, Scale Out
Master on every node under one domain account with one certificate, SSISDB in an Always
On availability group with a listener, MasterSettings.config pointed at the listener,
the logging login made identical on every replica, the master service as a cluster
Generic Service role, the master address in SSISDB, and the workers.

Every step detects what is already done, shows the exact PowerShell and T-SQL it will
run, applies the rest, verifies itself, and can be re-run alone or rolled back. Every
remote action is journaled before and after it runs, so an interrupted run resumes.

Run without a command for the full-screen wizard against a real cluster; "ssisha lab"
starts the wizard against a simulated cluster on this machine.`,
		Args:          a.noArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE:          a.runWizard,
	}
	// Global flags are checked before any command runs, so that a bad one is refused
	// before anything connects.
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return a.checkGlobalFlags() }
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return invalid("%v (see %s --help)", err, c.CommandPath())
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.secretsFile, "secrets", "", "read secrets from this KEY=VALUE file (refused unless mode 0600)")
	pf.StringVar(&a.journalPath, "journal", "", "journal file of this cluster (default: in the user's state directory, named after the cluster)")
	pf.StringVar(&a.logPath, "log", "", "write the full event log of the run to this file (default: beside the journal)")
	pf.IntVar(&a.parallel, "parallel", 0, "at most this many targets at once within a step (0: all)")
	pf.BoolVar(&a.ascii, "ascii", false, "ASCII glyphs only (no box drawing or symbols)")
	pf.StringVar(&a.color, "color", "auto", "colour: auto, always or never (NO_COLOR is honoured)")
	pf.BoolVar(&a.allowCleartextSecrets, "allow-cleartext-secrets", false, "send passwords over SQL Server connections that are not encrypted (connection.sql.encrypt false or disable)")
	pf.BoolVar(&a.accessible, "accessible", false, "line-by-line prompts and progress for screen readers (also ACCESSIBLE=1 or TERM=dumb)")
	root.Flags().StringP("file", "f", "", "answer file to start from")

	root.AddCommand(
		a.labCmd(),
		a.validateCmd(),
		a.planCmd(),
		a.applyCmd(),
		a.rollbackCmd(),
		a.statusCmd(),
		a.verifyCmd(),
		a.factsCmd(),
		a.versionCmd(),
		a.schemaCmd(),
		a.manCmd(),
	)
	completeStepsFlags(root)
	return root
}

// checkGlobalFlags refuses global flag values that have no meaning (exit 2).
func (a *app) checkGlobalFlags() error {
	if a.parallel < 0 {
		return invalid("--parallel %d: give how many targets may run at once within a step (0: all)", a.parallel)
	}
	switch a.color {
	case "auto", "always", "never":
	default:
		return invalid("--color %q: choose auto, always or never", a.color)
	}
	return nil
}

func (a *app) noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return invalid("unknown command %q for %s; see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(a.out, "ssisha %s (commit %s, built %s)\n", a.build.Version, a.build.Commit, a.build.Date)
			return nil
		},
	}
}
