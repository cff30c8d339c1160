package steps

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
)

// These tests apply each step with every action's result thrown away, as when ssisha
// is killed (or the connection drops) after the node made the change and before the
// journal recorded Apply's undo data: Undo gets the action's UndoHint instead, which
// the engine journals with the intent. The estate must come back as it was.

// hintLab is what the hint runner needs of a lab.
type hintLab struct {
	env      *Env
	targets  []Target
	snapshot func(t *testing.T) string
	// before runs ahead of each action (the worker lab advances its clock).
	before func(Action)
	// restored, when set, replaces the comparison with the estate before the step:
	// it gets the estate after the undo.
	restored func(t *testing.T, after string)
}

func winHintLab(l *winLab, s Step) hintLab {
	return hintLab{env: l.env, targets: l.targets(s), snapshot: l.snapshot}
}

func haHintLab(l *haLab, s Step) hintLab {
	return hintLab{env: l.env, targets: haTargets(l.env.Answers, s.Scope()), snapshot: l.snapshot}
}

// applyUndoFromHints applies s on every target, throwing Apply's undo data away, then
// undoes every action newest first from its hint alone and wants the estate back as it
// was. The actions named in noHint must come without a hint (their undo needs what
// only Apply knows); those are undone from Apply's data, as the journal would have it
// when their result is recorded. It returns the applied action IDs.
func applyUndoFromHints(t *testing.T, l hintLab, s Step, noHint ...string) []string {
	t.Helper()
	ctx := context.Background()
	before := l.snapshot(t)
	type done struct {
		target Target
		action Action
		undo   Undo
	}
	var applied []done
	var ids []string
	for _, tg := range l.targets {
		d, err := s.Detect(ctx, l.env, tg)
		if err != nil {
			t.Fatalf("step %d detect on %s: %v", s.ID(), tg.Host, err)
		}
		if d.State == StateBlocked {
			t.Fatalf("step %d on %s blocked: %s (%s)", s.ID(), tg.Host, d.Reason, d.Fix)
		}
		for _, a := range d.Actions {
			if l.before != nil {
				l.before(a)
			}
			hint := hintRoundTrip(t, a.UndoHint)
			u, err := applyAction(s, ctx, l.env, tg, a)
			if err != nil {
				t.Fatalf("step %d apply %s on %s: %v", s.ID(), a.ID, tg.Host, err)
			}
			ids = append(ids, a.ID)
			switch {
			case slices.Contains(noHint, a.ID):
				if len(a.UndoHint) != 0 {
					t.Errorf("step %d %s on %s has hint %v; its undo needs what only Apply learns", s.ID(), a.ID, tg.Host, a.UndoHint)
				}
				hint = hintRoundTrip(t, u)
			case len(hint) == 0:
				t.Errorf("step %d %s on %s has no undo hint", s.ID(), a.ID, tg.Host)
			}
			applied = append(applied, done{tg, a, hint})
		}
	}
	for _, ap := range slices.Backward(applied) {
		err := undoAction(s, ctx, l.env, ap.target, ap.action.ID, ap.undo)
		if errors.Is(err, ErrIrreversible) && ap.action.Irreversible != "" {
			continue
		}
		if err != nil {
			t.Fatalf("step %d undo %s on %s from its hint %v: %v", s.ID(), ap.action.ID, ap.target.Host, ap.undo, err)
		}
	}
	switch after := l.snapshot(t); {
	case l.restored != nil:
		l.restored(t, after)
	case after != before:
		t.Errorf("undo from the hints did not restore the estate: %s", diffLines(before, after))
	}
	return ids
}

// hintRoundTrip passes a hint through JSON, as the journal does, and checks it holds
// no secret.
func hintRoundTrip(t *testing.T, u Undo) Undo {
	t.Helper()
	raw, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	winNoSecret(t, "undo hint", string(raw))
	haAssertNoSecret(t, "undo hint", string(raw))
	var back Undo
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	return back
}

func wantApplied(t *testing.T, got []string, want string) {
	t.Helper()
	if strings.Join(got, ",") != want {
		t.Fatalf("applied %s, want %s", strings.Join(got, ","), want)
	}
}

func TestClusterStepUndoesFromHints(t *testing.T) {
	l := newWinLab(t)
	s := NewClusterStep()
	wantApplied(t, applyUndoFromHints(t, winHintLab(l, s), s),
		"install-failover-clustering,install-failover-clustering,create-cluster,set-witness")
}

func TestPrimaryMasterStepUndoesFromHints(t *testing.T) {
	l := newWinLab(t)
	s := NewPrimaryMasterStep()
	wantApplied(t, applyUndoFromHints(t, winHintLab(l, s), s),
		"create-certificate,install-master,open-firewall,open-replica-ports,enable-alwayson")
}

func TestSecondaryMasterStepUndoesFromHints(t *testing.T) {
	l := newWinLab(t)
	p := NewPrimaryMasterStep()
	l.applyTargets(t, p, l.targets(p))
	s := NewSecondaryMasterStep()
	wantApplied(t, applyUndoFromHints(t, winHintLab(l, s), s),
		"import-certificate,install-master,open-firewall,open-replica-ports,enable-alwayson")
}

func TestAvailabilityGroupStepUndoesFromHints(t *testing.T) {
	l := newHALab(t, false)
	s := NewAvailabilityGroupStep()
	// The endpoint's logins are only known once the action ran.
	wantApplied(t, applyUndoFromHints(t, haHintLab(l, s), s, "endpoint"),
		"endpoint,master-login,create-catalog,master-user,create-ag,listener,alwayson-support,endpoint,master-login,join,dmk-credential,alwayson-support")
}

func TestMasterSettingsStepUndoesFromHints(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewMasterSettingsStep()
	wantApplied(t, applyUndoFromHints(t, haHintLab(l, s), s), "set-sqlservername,set-sqlservername")
}

func TestLoggingStepUndoesFromHints(t *testing.T) {
	l := newHALab(t, false)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewLoggingStep()
	// Setting the password cannot be undone at all, hint or not: the login and the
	// logging connection keep the new password, and nothing else may differ.
	hl := haHintLab(l, s)
	before := l.snapshot(t)
	hl.restored = func(t *testing.T, after string) {
		bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
		if len(bl) != len(al) {
			t.Fatalf("undo from the hints did not restore the estate: %s", diffLines(before, after))
		}
		for i := range bl {
			if bl[i] != al[i] && !strings.Contains(bl[i], "Password=") && !strings.Contains(bl[i], `"password"`) {
				t.Errorf("undo from the hints did not restore line %d: before %q, after %q", i+1, bl[i], al[i])
			}
		}
	}
	wantApplied(t, applyUndoFromHints(t, hl, s, "set-password"), "set-password,update-logdb,create-login")
}

func TestClusterRoleStepUndoFromHintsKeepsAPrestagedComputerObject(t *testing.T) {
	l := winPrepared(t)
	l.estate.ComputerObjects = map[string]*estate.ComputerObject{"ssismaster": {WhenCreated: l.direct.Now.Add(-72 * time.Hour)}}
	s := NewClusterRoleStep()
	hl := winHintLab(l, s)
	hl.restored = func(t *testing.T, _ string) {
		if vco := l.estate.ComputerObjects["ssismaster"]; vco == nil || vco.Enabled {
			t.Errorf("undo from the hint deleted the pre-staged computer object, or left it enabled: %+v", vco)
		}
	}
	applyUndoFromHints(t, hl, s)
}

func TestClusterRoleStepUndoesFromHints(t *testing.T) {
	l := winPrepared(t)
	s := NewClusterRoleStep()
	// From the hint alone, undo deletes the access point's computer object because AD
	// created it after Detect looked.
	wantApplied(t, applyUndoFromHints(t, winHintLab(l, s), s), "set-master-services-manual,create-master-role")
}

func TestMasterAddressStepUndoesFromHints(t *testing.T) {
	l := newHALab(t, true)
	l.apply(t, NewAvailabilityGroupStep(), nil)
	s := NewMasterAddressStep()
	wantApplied(t, applyUndoFromHints(t, haHintLab(l, s), s), "set-master-address")
}

func TestWorkersStepUndoesFromHints(t *testing.T) {
	l := newWorkerLab(t)
	s := NewWorkersStep()
	hl := haHintLab(l, s)
	hl.before = func(a Action) {
		if a.ID == "enable" {
			// Registration happens about a minute after the service starts.
			l.d.Advance(2 * time.Minute)
		}
	}
	wantApplied(t, applyUndoFromHints(t, hl, s), "trust-master,install,configure,trust-worker,restart,enable")
}
