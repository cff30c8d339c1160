// Package engine plans and runs the steps: detect in parallel, apply in order with a
// bound on parallel targets, journal every remote action before and after it runs,
// resume, re-run, roll back, and report. It never prints: progress goes out as
// events to subscribers (the screen, the log file, --output json).
package engine

import "time"

// EventKind says what happened.
type EventKind string

// The kinds of event, in the order a run emits them.
const (
	RunStarted     EventKind = "run-started"     // Mode: apply | rollback | plan | verify
	DetectStarted  EventKind = "detect-started"  // Step, Target
	DetectFinished EventKind = "detect-finished" // Step, Target, State, Message
	PlanDeviation  EventKind = "plan-deviation"  // Step, Target, Action, Summary, Message: the run differs from the plan
	StepStarted    EventKind = "step-started"    // Step
	TargetStarted  EventKind = "target-started"  // Step, Target
	ActionStarted  EventKind = "action-started"  // Step, Target, Action, Summary, Script
	ActionOutput   EventKind = "action-output"   // Step, Target, Action, Message (one line)
	ActionRunning  EventKind = "action-running"  // Step, Target, Action, Summary, Elapsed: still running
	ActionFinished EventKind = "action-finished" // Step, Target, Action, Status, Error
	TargetFinished EventKind = "target-finished" // Step, Target, Status, Error
	StepFinished   EventKind = "step-finished"   // Step, Status
	CheckFinished  EventKind = "check-finished"  // Step, Target, Check (verify, preflight)
	RunFinished    EventKind = "run-finished"    // Status, Error
)

// Status is the outcome of an action, a target, a step or a run.
type Status string

// The statuses, in the words the summary uses.
const (
	StatusRunning   Status = "running"
	StatusSucceeded Status = "succeeded"
	StatusSkipped   Status = "skipped" // already done
	StatusFailed    Status = "failed"
	StatusUndone    Status = "undone"
	StatusCancelled Status = "cancelled"
	StatusBlocked   Status = "blocked"
)

// Event is one thing that happened during a run. Every text field is free of secrets.
type Event struct {
	Time    time.Time     `json:"time"`
	Kind    EventKind     `json:"kind"`
	RunID   string        `json:"runId,omitempty"`
	Mode    string        `json:"mode,omitempty"`
	Step    int           `json:"step,omitempty"`
	Title   string        `json:"title,omitempty"`  // step title
	Target  string        `json:"target,omitempty"` // host
	Action  string        `json:"action,omitempty"` // action ID
	Summary string        `json:"summary,omitempty"`
	Script  string        `json:"script,omitempty"` // displayed text of the command that runs
	State   string        `json:"state,omitempty"`  // detect state
	Status  Status        `json:"status,omitempty"`
	Message string        `json:"message,omitempty"`
	Error   string        `json:"error,omitempty"`
	Fix     string        `json:"fix,omitempty"`
	Check   *CheckResult  `json:"check,omitempty"`
	Elapsed time.Duration `json:"elapsedNs,omitempty"`
}

// CheckResult is one verification or preflight line.
type CheckResult struct {
	Name   string `json:"name"`
	Status string `json:"status"` // Success | Warning | Failed | Skipped
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Subscriber receives events. It must not block for long; the engine calls it from
// its own goroutines, serialised.
type Subscriber func(Event)
