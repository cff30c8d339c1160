package cli

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps/answers"
)

type labFlags struct {
	dir        string
	masters    int
	workers    int
	sqlVersion int
	speed      float64
	latency    time.Duration
	encrypt    string
	engine     string
	instance   string
	settings   string
	// krbRealm and krbKeytab make the lab accept a realm's Kerberos tickets, and
	// the answers use Kerberos; noNTLM turns NTLM off, as a hardened domain does.
	krbRealm, krbKeytab string
	noNTLM              bool
	faults              []string
	parsed              []lab.Fault
}

func (f *labFlags) register(cmd *cobra.Command, defaultSpeed float64) {
	cmd.Flags().StringVar(&f.dir, "dir", "", "keep the lab's state, certificates and client files here (state persists across restarts)")
	cmd.Flags().IntVar(&f.masters, "masters", 2, "master nodes (2 or more)")
	cmd.Flags().IntVar(&f.workers, "workers", 2, "worker nodes")
	cmd.Flags().IntVar(&f.sqlVersion, "sql-version", sqlversion.Default, "SQL Server version on the masters: "+sqlversion.NameList())
	cmd.Flags().Float64Var(&f.speed, "speed", defaultSpeed, "how much of a real estate's operation times to spend (1 = real time, 0 = none)")
	cmd.Flags().DurationVar(&f.latency, "latency", 0, "network latency added to every protocol round trip, e.g. 25ms")
	cmd.Flags().StringVar(&f.encrypt, "encrypt", "tls", "TDS encryption the instances offer: tls (TLS in TDS) or strict (TDS 8.0)")
	cmd.Flags().StringVar(&f.instance, "instance", "MSSQLSERVER", "the masters' SQL Server instance: MSSQLSERVER (the default instance) or a named instance")
	cmd.Flags().StringVar(&f.engine, "engine-account", "domain", "what the database engines run as: domain (a domain service account) or virtual (NT Service\\MSSQLSERVER)")
	cmd.Flags().StringVar(&f.settings, "settings-format", estate.DefaultSettingsFormat, "how Scale Out setup writes MasterSettings.config and WorkerSettings.config: json or xml")
	cmd.Flags().StringVar(&f.krbRealm, "kerberos-realm", "", "accept Kerberos tickets of this realm (your KDC's), and point the answers at Kerberos; needs --kerberos-keytab")
	cmd.Flags().StringVar(&f.krbKeytab, "kerberos-keytab", "", "keytab with the keys of the lab's service principals (lab serve prints them)")
	cmd.Flags().BoolVar(&f.noNTLM, "no-ntlm", false, "refuse NTLM on WinRM and SQL Server, as a domain that has turned it off; needs --kerberos-realm")
	registerFaultFlag(cmd, &f.faults)
}

func (f *labFlags) check() error {
	if f.masters < 2 {
		return invalid("--masters %d: a highly available master needs at least 2 master nodes", f.masters)
	}
	if f.workers < 0 || f.workers > 200 {
		return invalid("--workers %d: choose 0 to 200", f.workers)
	}
	if _, ok := sqlversion.ByYear(f.sqlVersion); !ok {
		return invalid("--sql-version %d: choose %s", f.sqlVersion, sqlversion.NameList())
	}
	if f.speed < 0 {
		return invalid("--speed %v: choose 0 (no delays) or more (1 = real time)", f.speed)
	}
	if f.instance != "" {
		if err := answers.ValidateInstanceName(f.instance); err != nil {
			return invalid("--instance %q: %v", f.instance, err)
		}
	}
	if f.engine != "" && f.engine != "domain" && f.engine != "virtual" {
		return invalid("--engine-account %q: choose domain or virtual", f.engine)
	}
	if f.encrypt != "tls" && f.encrypt != "strict" {
		return invalid("--encrypt %q: choose tls or strict", f.encrypt)
	}
	if r, _ := sqlversion.ByYear(f.sqlVersion); f.encrypt == "strict" && !r.StrictTDS {
		return invalid("--encrypt strict: SQL Server %s has no TDS 8.0 and closes TLS-first connections; %s", r.Name, strictRemedy())
	}
	if (f.krbRealm == "") != (f.krbKeytab == "") {
		return invalid("--kerberos-realm and --kerberos-keytab go together: the realm whose tickets the lab accepts, and the keytab of its service principals")
	}
	if f.noNTLM && f.krbRealm == "" {
		return invalid("--no-ntlm leaves no way in without Kerberos; add --kerberos-realm and --kerberos-keytab")
	}
	if f.settings != "" && f.settings != estate.SettingsJSON && f.settings != estate.SettingsXML {
		return invalid("--settings-format %q: choose json or xml", f.settings)
	}
	parsed, err := parseFaultFlags(f.faults)
	f.parsed = parsed
	return err
}

// strictRemedy says what to choose instead of strict on a release without TDS 8.0.
func strictRemedy() string {
	if r, ok := sqlversion.FirstStrictTDS(); ok {
		return "use --sql-version " + r.Name + ", or --encrypt tls"
	}
	return "use --encrypt tls"
}

func (f *labFlags) options() lab.Options {
	return lab.Options{
		Dir:         f.dir,
		Seed:        estate.SeedOptions{Masters: f.masters, Workers: f.workers, SQLVersion: f.sqlVersion, EngineAccount: f.engine, Instance: f.instance, SettingsFormat: f.settings},
		Speed:       f.speed,
		Latency:     f.latency,
		Encrypt:     f.encrypt,
		Kerberos:    f.kerberos(),
		DisableNTLM: f.noNTLM,
		Faults:      f.parsed,
	}
}

func (a *app) labCmd() *cobra.Command {
	var f labFlags
	var fresh bool
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "The wizard against a simulated cluster on this machine",
		Long: `lab starts a simulated Scale Out estate in this process (master nodes with SQL Server,
workers, the failover cluster, the availability group, SSISDB) that speaks real WinRM
and TDS on loopback, and opens the wizard against it with the answers filled in. It is
for demonstrations and practice: ssisha's client code runs exactly as against a real
cluster.

The estate, its journal and any answers saved from the wizard are kept in a state
folder, so quitting and starting again finds the lab as it was and offers to resume an
interrupted run. The folder is one per lab shape under $XDG_STATE_HOME/ssisha/lab
(~/.local/state/ssisha/lab; %LOCALAPPDATA%\ssisha\lab on Windows); --dir names another,
--fresh starts over with a new estate.`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.check(); err != nil {
				return err
			}
			dir, err := a.labStateDir(f, fresh)
			if err != nil {
				return err
			}
			f.dir = dir
			return a.runLabWizard(cmd.Context(), f)
		},
	}
	f.register(cmd, 0.02)
	cmd.Flags().BoolVar(&fresh, "fresh", false, "start over: delete the lab's state folder (its estate, journal and saved answers) first")
	cmd.AddCommand(a.labServeCmd())
	cmd.AddCommand(a.labBenchCmd())
	cmd.AddCommand(a.labFaultCmd())
	return cmd
}

func (a *app) labServeCmd() *cobra.Command {
	var f labFlags
	cmd := &cobra.Command{
		Use:   "serve --dir DIR",
		Short: "Run the lab in the foreground and write the files that point ssisha at it",
		Long: `serve runs the lab until interrupted, prints its endpoints, and writes DIR/answers.yaml
and DIR/secrets.env (mode 0600) that point ssisha at it. The lab's state is kept in DIR
across restarts. Then, in another terminal:

  set -a; . DIR/secrets.env; set +a
  ssisha apply -f DIR/answers.yaml --yes`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.dir == "" {
				return invalid("lab serve needs --dir DIR: where the lab keeps its state and writes answers.yaml and secrets.env")
			}
			if err := f.check(); err != nil {
				return err
			}
			if err := os.MkdirAll(f.dir, 0o700); err != nil {
				return invalidErr(err)
			}
			l, err := lab.Start(f.options())
			if err != nil {
				return failed(fmt.Errorf("starting the lab: %w", err))
			}
			defer l.Close()
			ansPath, secPath, err := writeLabClientFiles(l, f)
			if err != nil {
				return failed(err)
			}
			a.printLabEndpoints(l, ansPath, secPath)
			if f.krbRealm != "" {
				fmt.Fprintf(a.out, "\nKerberos: register these service principals in %s and add their keys to %s\n(kadmin: addprinc -randkey SPN; ktadd -k %s SPN), and point KRB5_CONFIG at your KDC:\n", f.krbRealm, f.krbKeytab, f.krbKeytab)
				for _, spn := range l.ServicePrincipals() {
					fmt.Fprintln(a.out, "  "+spn)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
			defer stop()
			a.serveFaultControl(ctx, l, f.dir)
			<-ctx.Done()
			fmt.Fprintln(a.out, "lab: stopping; state kept in", f.dir)
			return nil
		},
	}
	f.register(cmd, 0.01)
	return cmd
}

// labStateFile is the file that marks a folder as a lab's: --fresh deletes no other.
const labStateFile = "state.json"

// labStateDir is the folder `ssisha lab` keeps its estate in: --dir, else one per lab
// shape in the user's state folder. fresh empties it first, when it is a lab's.
func (a *app) labStateDir(f labFlags, fresh bool) (string, error) {
	dir := f.dir
	if dir == "" {
		base, err := a.userStateDir()
		if err != nil {
			return "", invalid("no folder for the lab's state (%v); name one with --dir", err)
		}
		dir = filepath.Join(base, "ssisha", "lab", fmt.Sprintf("%dm-%dw-sql%d", f.masters, f.workers, f.sqlVersion))
	}
	if fresh {
		entries, err := os.ReadDir(dir)
		switch {
		case os.IsNotExist(err):
		case err != nil:
			return "", invalidErr(fmt.Errorf("--fresh: %w", err))
		case len(entries) > 0:
			if _, err := os.Stat(filepath.Join(dir, labStateFile)); err != nil {
				return "", invalid("--fresh: %s holds no lab (no %s); it is left alone. Name an empty folder or a lab's with --dir", dir, labStateFile)
			}
			if err := os.RemoveAll(dir); err != nil {
				return "", invalidErr(fmt.Errorf("--fresh: %w", err))
			}
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", invalidErr(err)
	}
	return dir, nil
}

// userStateDir is where a user's programs keep state: $XDG_STATE_HOME, %LOCALAPPDATA%
// on Windows, else ~/.local/state.
func (a *app) userStateDir() (string, error) {
	if d := a.getenv("XDG_STATE_HOME"); d != "" {
		return d, nil
	}
	if runtime.GOOS == "windows" {
		if d := a.getenv("LOCALAPPDATA"); d != "" {
			return d, nil
		}
	}
	home := a.getenv("HOME")
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		home = h
	}
	return filepath.Join(home, ".local", "state"), nil
}

// kerberos is the realm the lab accepts tickets of, nil when none.
func (f *labFlags) kerberos() *lab.Kerberos {
	if f.krbRealm == "" {
		return nil
	}
	return &lab.Kerberos{Realm: f.krbRealm, Keytab: f.krbKeytab}
}

// labAnswers is the answer file that points ssisha at a running lab.
func labAnswers(l *lab.Lab, f labFlags) *answers.Answers {
	ans := labsetup.Answers(l.Endpoints(), f.encrypt == "strict")
	if f.krbRealm != "" {
		ans.Connection.WinRM.Auth = remote.WinRMAuthKerberos
		ans.Connection.SQL.Auth = remote.SQLAuthKerberos
	}
	return ans
}

func writeLabClientFiles(l *lab.Lab, f labFlags) (ansPath, secPath string, err error) {
	ans := labAnswers(l, f)
	ansPath = filepath.Join(f.dir, "answers.yaml")
	if err := answers.Save(ansPath, ans); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", ansPath, err)
	}
	values := l.Secrets()
	values[answers.EnvWaitScale] = strconv.FormatFloat(labsetup.WaitScale(f.speed), 'g', -1, 64)
	secPath = filepath.Join(f.dir, "secrets.env")
	if err := answers.WriteSecretsFile(secPath, values); err != nil {
		return "", "", fmt.Errorf("writing %s: %w", secPath, err)
	}
	return ansPath, secPath, nil
}

func (a *app) printLabEndpoints(l *lab.Lab, ansPath, secPath string) {
	ep := l.Endpoints()
	fmt.Fprintln(a.out, "ssisha lab: a simulated Scale Out estate on loopback")
	for _, n := range ep.Nodes {
		line := fmt.Sprintf("  %-24s %-7s WinRM https://%s/wsman", n.Host, n.Role, n.WinRM)
		if n.SQL != "" {
			line += "  SQL " + n.SQL
		}
		fmt.Fprintln(a.out, line)
	}
	fmt.Fprintf(a.out, "  %-24s listener (routes to the primary once it exists) %s\n", ep.ListenerName, ep.Listener)
	fmt.Fprintf(a.out, "  CA certificate: %s\n", ep.CAFile)
	fmt.Fprintf(a.out, "\nAnswers: %s\nSecrets: %s (mode 0600)\n\nIn another terminal:\n  set -a; . %s; set +a\n  ssisha apply -f %s --yes\n\nCtrl-C stops the lab; its state is kept.\n",
		ansPath, secPath, secPath, ansPath)
}
