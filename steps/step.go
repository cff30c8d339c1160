// Package steps holds the nine steps of the Scale Out Master HA procedure. Each step
// detects what is already done on each of its targets (read-only), applies the rest,
// verifies itself by reading back, and undoes what a run did from what the journal
// recorded.
package steps

import (
	"context"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Scope says which targets a step runs on.
type Scope int

// The scopes of the procedure.
const (
	EachMaster    Scope = iota + 1 // every master node, in parallel
	Primary                        // the initial primary replica only
	EachSecondary                  // every master node but the primary
	ClusterOnce                    // once for the cluster, run on the primary node
	EachWorker                     // every worker
)

// String names the scope as the plan shows it.
func (s Scope) String() string {
	switch s {
	case EachMaster:
		return "each master node"
	case Primary:
		return "the primary replica"
	case EachSecondary:
		return "each secondary replica"
	case ClusterOnce:
		return "the cluster, once"
	case EachWorker:
		return "each worker"
	}
	return "unknown scope"
}

// Target is one place a step acts on.
type Target struct {
	// Host is the node the step's commands run on (for ClusterOnce, the primary).
	Host string
	// Role is primary, secondary, worker or cluster.
	Role string
}

// State is what Detect found.
type State string

// The states of a step on a target.
const (
	StateDone    State = "done"    // nothing to do
	StatePending State = "pending" // the actions listed will make it done
	StateDrift   State = "drift"   // exists but differs from the answers; actions correct it
	StateBlocked State = "blocked" // cannot proceed; Reason and Fix say why and what to do
)

// ActionKind classifies an action for the plan's symbols.
type ActionKind string

// The kinds of action.
const (
	KindCreate  ActionKind = "create"
	KindChange  ActionKind = "change"
	KindDelete  ActionKind = "delete"
	KindRestart ActionKind = "restart"
)

// Command is one script with where it runs.
type Command struct {
	// Host is the node for PowerShell, or the SQL target (a node or remote.Listener).
	Host string
	PS   *script.PowerShell
	SQL  *script.TSQL
}

// Display is the command's text with secrets as placeholders.
func (c Command) Display() string {
	if c.PS != nil {
		return ShowPlaceholders(c.PS.Display())
	}
	if c.SQL != nil {
		return ShowPlaceholders(c.SQL.Display())
	}
	return ""
}

// Op is the operation name of the command's script.
func (c Command) Op() string {
	if c.PS != nil {
		return c.PS.Op
	}
	if c.SQL != nil {
		return c.SQL.Op
	}
	return ""
}

// Action is one change a step will make on a target, as its plan shows it. Detect
// makes it with the New of the step's declaration (ActionDef), which fills the ID, the
// kind, the irreversibility note and the encoded undo hint.
type Action struct {
	// ID is stable for the step and target across runs (for example "set-sqlservername"),
	// so the journal can match intents with results and resume can find them.
	ID string
	// Summary is one line in the DBA's words: "Set SqlServerName to SSISLSN,1433".
	Summary string
	Kind    ActionKind
	// Commands are the scripts Apply will run, in order, exactly as the plan shows them.
	Commands []Command
	// Irreversible, when not empty, says why Undo cannot reverse this action.
	Irreversible string
	// UndoHint is what Undo needs for this action if its result is never recorded (the
	// run dies, or the connection drops, after the node made the change): Detect fills
	// it when that can be known before the action runs, usually exactly what Apply will
	// return (the objects it creates, the old values Detect read). Where Apply learns
	// something only while running (a thumbprint, an ID setup generates), the hint
	// holds what Undo can look it up by instead. The engine journals it with the
	// intent and, when a later run finds the action done, undoes from it; nil (or
	// empty) means the change cannot be undone safely without Apply's own record, and
	// rollback then asks the DBA to check it by hand. It is the JSON of the action's
	// undo struct, and it is journaled, so it holds no secrets.
	UndoHint Undo `json:",omitempty"`
}

// Detection is the read-only result of Detect.
type Detection struct {
	State State
	// Facts are the observations the state was computed from; they are hashed into the
	// plan's fingerprint, so they must not contain secrets or volatile values (times).
	Facts map[string]any
	// Actions are what Apply will do (empty when done or blocked).
	Actions []Action
	// Reason and Fix explain drift or blocked.
	Reason string
	Fix    string
}

// CheckStatus is a verification result, in the words of the SSMS AG wizard.
type CheckStatus string

// The check results.
const (
	CheckSuccess CheckStatus = "Success"
	CheckWarning CheckStatus = "Warning"
	CheckFailed  CheckStatus = "Failed"
	CheckSkipped CheckStatus = "Skipped"
)

// Check is one line of a verification or preflight report.
type Check struct {
	Name   string
	Status CheckStatus
	Detail string
	Fix    string
}

// Step is one of the nine steps.
type Step interface {
	ID() int
	Title() string
	Scope() Scope
	// Detect reads the target and says what is done and what would change. It never
	// changes anything.
	Detect(ctx context.Context, env *Env, t Target) (Detection, error)
	// Actions are the actions Detect may list, each declared once with its apply and
	// its undo (see ActionDef).
	Actions() []ActionType
	// Verify reads back the outcome on the target.
	Verify(ctx context.Context, env *Env, t Target) ([]Check, error)
}

// SerialUndo is implemented by a step whose targets' undos depend on each other, so
// that rollback undoes them one at a time (in its reverse order) whatever the
// parallel bound.
type SerialUndo interface {
	UndoOneAtATime() bool
}

// Env is what every step gets: the answers, the secrets and the way to the nodes.
type Env struct {
	Answers  *answers.Answers
	Secrets  *answers.Secrets
	Remote   remote.Remote
	Redactor *script.Redactor
	// Version is the SQL Server version the steps use for names and paths.
	Version Version
	// Output receives progress lines for a target (already free of secrets).
	Output func(host, line string)
	// Now is the clock (tests replace it).
	Now func() time.Time
	// WaitScale scales the waits steps do for the estate (registration, services);
	// 1 for real clusters, smaller for the lab.
	WaitScale float64
	// Reads, when set, shares read-only facts among the reads of one round (the
	// engine sets a new one per detection round, and one for the verifications and
	// detection after a step's last change); nil reads afresh every time.
	Reads *ReadCache
	// Projection, when set, is the estate once the planned actions of earlier steps
	// have run: the facts readers answer from it (see projection.go). Only the
	// planner sets it; nil reads the estate as it is.
	Projection *Projection
}
