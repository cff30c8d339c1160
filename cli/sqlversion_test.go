package cli

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/app/labsetup"
	"github.com/ssisha/ssisha/remote/client"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps"
	"github.com/ssisha/ssisha/steps/answers"
)

// Adding a SQL Server release is one row of the sqlversion table (docs/architecture.md).
// That holds while every row reaches every place that names releases with no list of
// its own: the answers' validation, the wizard's choices, `ssisha lab --sql-version`,
// the lab's seed and the detection of the version from the nodes.
func TestEveryReleaseRowReachesEveryPlace(t *testing.T) {
	var field answers.Field
	for _, f := range answers.Fields() {
		if f.Path == "sqlVersion" {
			field = f
		}
	}
	if field.Validate == nil {
		t.Fatal("the field registry has no sqlVersion field")
	}
	for _, r := range sqlversion.All() {
		t.Run(r.Name, func(t *testing.T) {
			if err := answers.ValidateSQLVersion(r.Year); err != nil {
				t.Errorf("the answers refuse sqlVersion %d: %v", r.Year, err)
			}
			if !slices.Contains(field.Choices, r.Name) || field.Validate(r.Name) != nil {
				t.Errorf("the wizard does not offer %s: choices %q, validation %v", r.Name, field.Choices, field.Validate(r.Name))
			}

			f := parseLabFlags(t, "--sql-version", r.Name, "--workers", "0")
			if err := f.check(); err != nil {
				t.Fatalf("ssisha lab --sql-version %s: %v", r.Name, err)
			}
			strict := parseLabFlags(t, "--sql-version", r.Name, "--encrypt", "strict")
			if err := strict.check(); (err == nil) != r.StrictTDS {
				t.Errorf("ssisha lab --sql-version %s --encrypt strict: %v, but the table says TDS 8.0 is %v", r.Name, err, r.StrictTDS)
			}

			f.dir = t.TempDir()
			l, err := lab.Start(f.options())
			if err != nil {
				t.Fatalf("the lab does not start with SQL Server %s: %v", r.Name, err)
			}
			t.Cleanup(func() { _ = l.Close() })
			l.Estate(func(e *estate.Estate) {
				for _, h := range e.SortedHosts() {
					if in := e.Nodes[h].SQL; in != nil && in.Version != r.Build {
						t.Errorf("the lab seeds %s with %s, want the table's build %s", h, in.Version, r.Build)
					}
				}
			})

			v := detectLabVersion(t, l, f)
			if v.Year != r.Year || v.MasterService() != r.MasterService || v.WorkerService() != r.WorkerService {
				t.Errorf("detection names %+v (%s, %s), want %s", v, v.MasterService(), v.WorkerService(), r.Name)
			}
		})
	}
}

// The lab's --sql-version flag offers the table's releases and defaults to its default.
func TestLabVersionFlagFollowsTheTable(t *testing.T) {
	var f labFlags
	cmd := &cobra.Command{Use: "lab"}
	f.register(cmd, 0)
	flag := cmd.Flags().Lookup("sql-version")
	if flag.DefValue != strconv.Itoa(sqlversion.Default) {
		t.Errorf("--sql-version defaults to %s, want %d", flag.DefValue, sqlversion.Default)
	}
	if !strings.Contains(flag.Usage, sqlversion.NameList()) {
		t.Errorf("--sql-version help %q does not list %s", flag.Usage, sqlversion.NameList())
	}
	bad := parseLabFlags(t, "--sql-version", strconv.Itoa(sqlversion.Latest().Year+1))
	if err := bad.check(); err == nil || !strings.Contains(err.Error(), sqlversion.NameList()) {
		t.Errorf("an unknown release: %v, want the choices %s", err, sqlversion.NameList())
	}
}

// parseLabFlags parses args as the lab commands do.
func parseLabFlags(t *testing.T, args ...string) labFlags {
	t.Helper()
	var f labFlags
	cmd := &cobra.Command{Use: "lab"}
	f.register(cmd, 0)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	return f
}

// detectLabVersion connects to l as the CLI does and detects the version from the
// nodes, the answer file leaving sqlVersion out.
func detectLabVersion(t *testing.T, l *lab.Lab, f labFlags) steps.Version {
	t.Helper()
	ans := labAnswers(l, f)
	if ans.SQLVersion != 0 {
		t.Fatalf("the lab's answers set sqlVersion %d; detection would not run", ans.SQLVersion)
	}
	sec, err := labsetup.Secrets(l, f.speed)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(answers.RemoteConfig(ans, sec))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	env := &steps.Env{Answers: ans, Secrets: sec, Remote: c, Redactor: sec.Redactor(), Now: time.Now}
	v, err := steps.DetectVersion(context.Background(), env)
	if err != nil {
		t.Fatalf("detecting the version: %v", err)
	}
	return v
}
