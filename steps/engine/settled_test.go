package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
)

// readingStep reads one fact of each target's node in Detect (when detects) and in
// Verify. With act, each target has one action; node1's verification is signalled
// on node1Verified, and node2's action waits for it, so node1 verifies while node2
// still changes the estate.
type readingStep struct {
	id            int
	act, detects  bool
	node1Verified chan struct{}
	once          sync.Once
}

func (r *readingStep) ID() int            { return r.id }
func (r *readingStep) Title() string      { return fmt.Sprintf("Reading step %d", r.id) }
func (r *readingStep) Scope() steps.Scope { return steps.EachMaster }

func factsRead() script.PowerShell {
	return script.PowerShell{Op: "facts.read", ReadOnly: true, Body: "@{} | ConvertTo-Json"}
}

func (r *readingStep) Detect(ctx context.Context, env *steps.Env, t steps.Target) (steps.Detection, error) {
	if r.detects {
		if err := env.PS(ctx, t.Host, factsRead(), nil); err != nil {
			return steps.Detection{}, err
		}
	}
	if !r.act {
		return steps.Detection{State: steps.StateDone}, nil
	}
	return steps.Detection{State: steps.StatePending, Actions: []steps.Action{r.change().New("change",
		[]steps.Command{{Host: t.Host, PS: &script.PowerShell{Op: "facts.change", Body: "@{} | ConvertTo-Json"}}}, nil)}}, nil
}

// change is the reading step's one action.
func (r *readingStep) change() *steps.ActionDef[struct{}] {
	return &steps.ActionDef[struct{}]{ActionInfo: steps.ActionInfo{ID: "change", Kind: steps.KindChange}, Run: r.apply,
		Reverse: func(context.Context, *steps.Env, steps.Target, struct{}) error { return nil }}
}

func (r *readingStep) Actions() []steps.ActionType { return []steps.ActionType{r.change()} }

func (r *readingStep) apply(ctx context.Context, env *steps.Env, t steps.Target, a steps.Action, _ struct{}) (*struct{}, error) {
	if strings.HasPrefix(t.Host, "node2") {
		select {
		case <-r.node1Verified:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return nil, env.RunAll(ctx, a)
}

func (r *readingStep) Verify(ctx context.Context, env *steps.Env, t steps.Target) ([]steps.Check, error) {
	err := env.PS(ctx, t.Host, factsRead(), nil)
	if strings.HasPrefix(t.Host, "node1") {
		r.once.Do(func() { close(r.node1Verified) })
	}
	return []steps.Check{{Name: "read", Status: steps.CheckSuccess}}, err
}

// countingRemote counts the calls per "host op".
type countingRemote struct {
	recordingRemote
}

func (c *countingRemote) count(call string) int {
	n := 0
	for _, got := range c.Calls() {
		if got == call {
			n++
		}
	}
	return n
}

func TestVerificationsAfterTheLastChangeShareReadsWithTheNextDetection(t *testing.T) {
	w := newWorld(t, 2)
	rr := &countingRemote{}
	w.env.Remote = rr
	first := &readingStep{id: 1, act: true, node1Verified: make(chan struct{})}
	second := &readingStep{id: 2, detects: true}
	// With a barrier between the steps (the documented order); without one, step 2's
	// targets detect as soon as step 1 has ended, each on its own.
	rep, err := w.engineWith(Options{StrictOrder: true}, first, second).Apply(testCtx(t), nil, nil)
	if err != nil || rep.Status != StatusSucceeded {
		t.Fatalf("apply: %v, %+v", err, rep)
	}
	// node1: the plan's detection of step 2; step 1's verification, which ran while
	// node2's change was still being made and so read afresh; step 2's detection
	// after the last change. node2: the plan's detection; then one read shared by
	// its verification and step 2's detection, both after the last change.
	if got := rr.count("node1.contoso.com facts.read"); got != 3 {
		t.Errorf("node1 was read %d times, want 3 (%v)", got, rr.Calls())
	}
	if got := rr.count("node2.contoso.com facts.read"); got != 2 {
		t.Errorf("node2 was read %d times, want 2 (%v)", got, rr.Calls())
	}
}
