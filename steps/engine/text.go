package engine

import (
	"fmt"
	"time"
)

// Voice is how an event reads as text.
type Voice int

const (
	// Terse is the voice of the command line's progress and of the log file, for
	// example "[step 5] node2.contoso.com: Set SqlServerName to SSISLSN,1433
	// succeeded (1.2s)".
	Terse Voice = iota
	// Spoken is the voice of the accessible stream: whole sentences a screen reader
	// reads well, and only the events a listener needs, for example "Step 5 on
	// node2.contoso.com: succeeded".
	Spoken
)

// Text is ev as one line of text in voice v; it is empty for events that voice
// leaves out. It is where events become text: the Terse voice is TextLine, which the
// text output and the log file write; the Spoken voice is the accessible stream's.
func Text(ev Event, v Voice) string {
	if v == Spoken {
		return spokenLine(ev)
	}
	return TextLine(ev)
}

// spokenLine is Text in the Spoken voice.
func spokenLine(e Event) string {
	switch e.Kind {
	case CheckFinished:
		if e.Check == nil {
			return ""
		}
		return sentences(fmt.Sprintf("%s: %s: %s", e.Target, e.Check.Name, e.Check.Status), e.Check.Detail, e.Check.Fix)
	case StepStarted:
		return fmt.Sprintf("Step %d started: %s", e.Step, e.Title)
	case PlanDeviation:
		return "The run differs from the plan: " + e.Message
	case ActionStarted:
		return fmt.Sprintf("Step %d on %s: %s", e.Step, e.Target, e.Summary)
	case ActionRunning:
		return fmt.Sprintf("Step %d on %s: still running after %s: %s", e.Step, e.Target, e.Elapsed.Round(time.Second), e.Summary)
	case TargetFinished:
		return sentences(fmt.Sprintf("Step %d on %s: %s", e.Step, e.Target, e.Status), e.Error, e.Fix)
	case StepFinished:
		return fmt.Sprintf("Step %d %s", e.Step, e.Status)
	}
	return ""
}

// sentences is head, then what happened and the fix as sentences of their own when
// there are any.
func sentences(head, detail, fix string) string {
	if detail != "" {
		head += ". " + detail
	}
	if fix != "" {
		head += ". Fix: " + fix
	}
	return head
}
