package steps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Test support for steps 4 to 9 against the lab: the estate as earlier steps leave it,
// built by setting fields directly, and a runner for detect, apply and undo.

const (
	haCanaryDMK     = "Canary#Dmk-7731xQ"
	haCanaryLogging = "Canary!Log-5512zR"
	haMasterThumb   = "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"
)

type haLab struct {
	e   *estate.Estate
	d   *lab.Direct
	env *Env
}

// newHALab returns the estate as steps 1 to 3 leave it (and step 7 when withRole).
func newHALab(t *testing.T, withRole bool) *haLab {
	t.Helper()
	e := estate.NewEstate(estate.SeedOptions{Workers: 1})
	v, _ := VersionFromYear(2019)
	e.Cluster = &estate.Cluster{Name: "SSISCL", IP: "10.0.0.40", Groups: map[string]*estate.ClusterGroup{}}
	cert := &estate.Cert{Thumbprint: haMasterThumb, Subject: "CN=ssismaster", DNSNames: []string{"ssismaster", "ssismaster.contoso.com"}, HasPrivateKey: true}
	for i, h := range []string{"node1.contoso.com", "node2.contoso.com"} {
		n := e.Nodes[h]
		e.Cluster.Nodes = append(e.Cluster.Nodes, h)
		n.Features["Failover-Clustering"] = true
		n.Installed["IS"] = estate.ProductVersion(2019)
		n.Installed["IS_Master"] = estate.ProductVersion(2019)
		state, mode := "Running", "Auto"
		if i > 0 {
			state, mode = "Stopped", "Manual"
		}
		n.Services[strings.ToLower(v.MasterService())] = &estate.Service{Name: v.MasterService(), Account: `CONTOSO\svc_ssismaster`, StartMode: mode, State: state,
			PathName: `"` + v.BinnPath() + `\MasterService.exe"`}
		n.SetFile(v.MasterSettingsPath(), estate.MasterSettingsXML(8391, haMasterThumb, strings.ToUpper(estate.ShortName(h))))
		c1, c2 := *cert, *cert
		n.Certs[`LocalMachine\Root`][haMasterThumb] = &c1
		n.Certs[`LocalMachine\My`][haMasterThumb] = &c2
		n.SSLBindings["0.0.0.0:8391"] = haMasterThumb
		n.SQL.HadrEnabled = true
		for _, port := range []int{8391, 5022, 1433} {
			name := replicaFirewallRule(port)
			if port == 8391 {
				name = masterFirewallRule(port)
			}
			n.Firewall[name] = &estate.FirewallRule{Name: name, Port: port, Enabled: true}
		}
	}
	if withRole {
		haAddRole(e)
	}
	a := answers.Example()
	a.SetupMedia = estate.SetupMediaPath
	d := lab.NewDirect(e)
	sec := &answers.Secrets{
		MasterKeyPassword:     script.NewSecret("master-key-password", haCanaryDMK),
		LoggingPassword:       script.NewSecret("logging-password", haCanaryLogging),
		WorkerAccountPassword: script.NewSecret("worker-account-password", e.Accounts[`contoso\svc_ssisworker`].Password),
	}
	env := &Env{Answers: a, Secrets: sec, Remote: d, Version: v, WaitScale: 1e-6,
		Redactor: script.NewRedactor(sec.MasterKeyPassword, sec.LoggingPassword, sec.WorkerAccountPassword)}
	return &haLab{e: e, d: d, env: env}
}

// haAddRole is what step 7 leaves: the Generic Service role owned by node1.
func haAddRole(e *estate.Estate) {
	e.Cluster.Groups["ssismaster"] = &estate.ClusterGroup{Name: "SSISMASTER", Type: "GenericService", Owner: "node1.contoso.com", State: "Online",
		ServiceName: "SSISScaleOutMaster150", DNSName: "ssismaster.contoso.com", IP: "10.0.0.60"}
	e.DNS["ssismaster"] = "10.0.0.60"
	e.DNS["ssismaster.contoso.com"] = "10.0.0.60"
}

func haTargets(a *answers.Answers, s Scope) []Target {
	var out []Target
	switch s {
	case EachMaster:
		for i, m := range a.Masters {
			role := "secondary"
			if i == 0 {
				role = "primary"
			}
			out = append(out, Target{Host: m.Host, Role: role})
		}
	case ClusterOnce:
		out = append(out, Target{Host: a.Masters[0].Host, Role: "cluster"})
	case EachWorker:
		for _, w := range a.Workers {
			out = append(out, Target{Host: w.Host, Role: "worker"})
		}
	}
	return out
}

type haApplied struct {
	target Target
	action Action
	undo   Undo
}

// apply detects and applies a step on every target in order, returning what undo needs.
func (l *haLab) apply(t *testing.T, s Step, before func(Action)) []haApplied {
	t.Helper()
	ctx := context.Background()
	var out []haApplied
	for _, tg := range haTargets(l.env.Answers, s.Scope()) {
		d, err := s.Detect(ctx, l.env, tg)
		if err != nil {
			t.Fatalf("step %d detect on %s: %v", s.ID(), tg.Host, err)
		}
		if d.State == StateBlocked {
			t.Fatalf("step %d on %s blocked: %s (%s)", s.ID(), tg.Host, d.Reason, d.Fix)
		}
		for _, a := range d.Actions {
			if before != nil {
				before(a)
			}
			u, err := applyAction(s, ctx, l.env, tg, a)
			if err != nil {
				t.Fatalf("step %d apply %s on %s: %v", s.ID(), a.ID, tg.Host, err)
			}
			out = append(out, haApplied{tg, a, u})
		}
	}
	return out
}

// undo reverses applied actions in reverse order; irreversible ones are returned.
func (l *haLab) undo(t *testing.T, s Step, applied []haApplied) []string {
	t.Helper()
	var skipped []string
	for i := len(applied) - 1; i >= 0; i-- {
		ap := applied[i]
		err := undoAction(s, context.Background(), l.env, ap.target, ap.action.ID, roundTrip(t, ap.undo))
		if errors.Is(err, ErrIrreversible) {
			if ap.action.Irreversible == "" {
				t.Errorf("undo of %s on %s is irreversible but the action did not say so", ap.action.ID, ap.target.Host)
			}
			skipped = append(skipped, ap.target.Host+" "+ap.action.ID)
			continue
		}
		if err != nil {
			t.Fatalf("undo %s on %s: %v", ap.action.ID, ap.target.Host, err)
		}
	}
	return skipped
}

// roundTrip passes undo data through JSON as the journal does.
func roundTrip(t *testing.T, u Undo) Undo {
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	var out Undo
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (l *haLab) detectAll(t *testing.T, s Step) map[string]Detection {
	t.Helper()
	out := map[string]Detection{}
	for _, tg := range haTargets(l.env.Answers, s.Scope()) {
		d, err := s.Detect(context.Background(), l.env, tg)
		if err != nil {
			t.Fatalf("step %d detect on %s: %v", s.ID(), tg.Host, err)
		}
		out[tg.Host] = d
	}
	return out
}

func (l *haLab) expectDone(t *testing.T, s Step) {
	t.Helper()
	for h, d := range l.detectAll(t, s) {
		if d.State != StateDone || len(d.Actions) != 0 {
			t.Errorf("step %d on %s after apply: %s with %d actions (%s)", s.ID(), h, d.State, len(d.Actions), d.Reason)
		}
	}
}

func (l *haLab) expectVerified(t *testing.T, s Step) {
	t.Helper()
	for _, tg := range haTargets(l.env.Answers, s.Scope()) {
		checks, err := s.Verify(context.Background(), l.env, tg)
		if err != nil {
			t.Fatalf("step %d verify on %s: %v", s.ID(), tg.Host, err)
		}
		for _, c := range checks {
			if c.Status != CheckSuccess && c.Status != CheckSkipped {
				t.Errorf("step %d on %s: check %s is %s: %s", s.ID(), tg.Host, c.Name, c.Status, c.Detail)
			}
		}
	}
}

var volatileKeys = regexp.MustCompile(`"(seq|startedAt|lastOnlineTime)":[^,}]*,?`)

// snapshot is the estate as comparable JSON: sequence numbers, backups of settings
// files and the master's heartbeat are left out, since undo does not reverse time.
func (l *haLab) snapshot(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(l.e)
	if err != nil {
		t.Fatal(err)
	}
	var m any
	_ = json.Unmarshal(b, &m)
	for _, n := range m.(map[string]any)["nodes"].(map[string]any) {
		files := n.(map[string]any)["files"].(map[string]any)
		for k := range files {
			if strings.Contains(k, ".bak-") {
				delete(files, k)
			}
		}
		if sql, ok := n.(map[string]any)["sql"].(map[string]any); ok {
			if db, ok := sql["databases"].(map[string]any)["ssisdb"].(map[string]any); ok {
				if cat, ok := db["catalog"].(map[string]any); ok {
					props := cat["properties"].(map[string]any)
					delete(props, "MACHINE_NAME")
					delete(props, "LAST_ONLINE_TIME")
				}
			}
		}
	}
	b, _ = json.MarshalIndent(m, "", " ")
	return volatileKeys.ReplaceAllString(string(b), "")
}

// haAssertNoSecret fails when a canary secret shows in text.
func haAssertNoSecret(t *testing.T, what, text string) {
	t.Helper()
	for _, c := range []string{haCanaryDMK, haCanaryLogging} {
		if strings.Contains(text, c) {
			t.Errorf("%s contains a secret: %s", what, text)
		}
	}
}

func haDisplay(actions []Action) string {
	var b strings.Builder
	for _, a := range actions {
		fmt.Fprintf(&b, "== action %s (%s): %s\n", a.ID, a.Kind, a.Summary)
		if a.Irreversible != "" {
			fmt.Fprintf(&b, "-- irreversible: %s\n", a.Irreversible)
		}
		for _, c := range a.Commands {
			fmt.Fprintf(&b, "-- on %s\n%s", c.Host, c.Display())
		}
	}
	return b.String()
}

// diffLines reports the first differing line of two snapshots.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d: before %q, after %q", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}
