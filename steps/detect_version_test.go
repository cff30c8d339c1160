package steps

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func asActionError(err error, target **ActionError) bool { return errors.As(err, target) }

func TestDetectVersion(t *testing.T) {
	for _, tc := range []struct {
		name    string
		year    int
		node2   string
		want    int
		wantErr string
	}{
		{"from the answers", 2022, "", 2022, ""},
		{"from the primary", 0, "", 2019, ""},
		{"replicas differ", 0, "16.0.4135.4", 0, "node2.contoso.com (16.0.4135.4)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newHALab(t, false)
			l.env.Answers.SQLVersion = tc.year
			if tc.node2 != "" {
				l.e.Nodes["node2.contoso.com"].SQL.Version = tc.node2
			}
			v, err := DetectVersion(context.Background(), l.env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil || v.Year != tc.want {
				t.Fatalf("got %v %v, want %d", v, err, tc.want)
			}
		})
	}
}

func TestSQLPreflightChecks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(l *haLab)
		check  string
		want   CheckStatus
	}{
		{"all alike", func(*haLab) {}, "SQL Server version and CU", CheckSuccess},
		{"different CU", func(l *haLab) { l.e.Nodes["node2.contoso.com"].SQL.Version = "15.0.4312.2" }, "SQL Server version and CU", CheckFailed},
		{"standard edition", func(l *haLab) { l.e.Nodes["node2.contoso.com"].SQL.EngineEdition = 2 }, "Edition for the Scale Out Master", CheckFailed},
		{"mixed mode off", func(l *haLab) { l.e.Nodes["node2.contoso.com"].SQL.MixedMode = false }, "Mixed mode authentication", CheckFailed},
		{"hadr planned", func(l *haLab) { l.e.Nodes["node2.contoso.com"].SQL.HadrEnabled = false }, "Always On availability groups", CheckWarning},
		{"no ssisdb", func(*haLab) {}, "SSISDB schema", CheckSkipped},
		{"clr off", func(*haLab) {}, "CLR enabled", CheckWarning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newHALab(t, false)
			tc.break_(l)
			for _, pc := range sqlPreflightChecks() {
				if pc.Name != tc.check {
					continue
				}
				c := pc.Run(context.Background(), l.env, Target{Host: "node2.contoso.com", Role: "secondary"})
				if c.Status != tc.want || (c.Status == CheckFailed && c.Fix == "") {
					t.Errorf("got %s %q %q, want %s", c.Status, c.Detail, c.Fix, tc.want)
				}
				return
			}
			t.Fatalf("no check %q", tc.check)
		})
	}
}
