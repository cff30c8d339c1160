package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// JSONLines writes each event as one JSON object per line, for --output json.
func JSONLines(w io.Writer) Subscriber {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(ev)
	}
}

// TextLines writes one readable line per event, for logs, non-interactive runs and
// accessible mode, for example
// "[step 5] node2.contoso.com: Set SqlServerName to SSISLSN,1433 succeeded (1.2s)".
// Events that carry nothing for a person (detection started) are left out.
func TextLines(w io.Writer) Subscriber {
	var mu sync.Mutex
	return func(ev Event) {
		line := TextLine(ev)
		if line == "" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = io.WriteString(w, line+"\n")
	}
}

// LogFile appends the full event log to path (mode 0600): every text line with its
// time, and the displayed text of every script before it runs.
func LogFile(path string) (Subscriber, io.Closer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create the folder for the log %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot open the log %s: %w; choose another path", path, err)
	}
	_ = f.Chmod(0o600)
	var mu sync.Mutex
	sub := func(ev Event) {
		line := TextLine(ev)
		if line == "" {
			line = fmt.Sprintf("[step %d] %s: %s", ev.Step, ev.Target, ev.Kind)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", ev.Time.UTC().Format(time.RFC3339Nano), line)
		if ev.Kind == ActionStarted && ev.Script != "" {
			for l := range strings.SplitSeq(strings.TrimRight(ev.Script, "\n"), "\n") {
				b.WriteString("    | " + strings.TrimRight(l, "\r") + "\n")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = f.WriteString(b.String())
	}
	return sub, f, nil
}

// TextLine is the one-line rendering of an event that TextLines and LogFile use; it is
// empty for events a reader does not need.
func TextLine(ev Event) string {
	where := ""
	if ev.Step > 0 {
		where = fmt.Sprintf("[step %d] ", ev.Step)
	}
	if ev.Target != "" {
		where += ev.Target + ": "
	}
	suffix := func() string {
		s := ""
		if ev.Elapsed > 0 {
			s = fmt.Sprintf(" (%s)", roundDuration(ev.Elapsed))
		}
		if ev.Error != "" {
			s += ": " + ev.Error
		}
		if ev.Fix != "" {
			s += "; fix: " + ev.Fix
		}
		return s
	}
	switch ev.Kind {
	case RunStarted:
		return fmt.Sprintf("%s started (run %s)", ev.Mode, ev.RunID)
	case RunFinished:
		s := fmt.Sprintf("%s %s", ev.Mode, ev.Status)
		if ev.Message != "" {
			s += ": " + ev.Message
		}
		if ev.Error != "" {
			s += "\n" + ev.Error
		}
		return s
	case DetectStarted:
		return ""
	case DetectFinished:
		if ev.Status == StatusFailed {
			return where + "detection failed" + suffix()
		}
		s := where + "detected " + ev.State
		if ev.Message != "" {
			s += ": " + ev.Message
		}
		return s + suffix()
	case StepStarted:
		return where + ev.Title + ": started"
	case PlanDeviation:
		return "differs from the plan: " + ev.Message
	case StepFinished:
		s := where + ev.Title + ": " + string(ev.Status)
		if ev.Message != "" {
			s += " (" + ev.Message + ")"
		}
		return s
	case TargetStarted:
		return where + "started"
	case ActionStarted:
		return where + ev.Summary + " ..."
	case ActionOutput:
		return where + ev.Message
	case ActionRunning:
		return where + ev.Summary + " still running" + suffix()
	case ActionFinished:
		s := where + ev.Summary + " " + string(ev.Status)
		if ev.Message != "" {
			s += ": " + ev.Message
		}
		return s + suffix()
	case TargetFinished:
		s := where + string(ev.Status)
		if ev.Message != "" {
			s += " (" + ev.Message + ")"
		}
		return s + suffix()
	case CheckFinished:
		if ev.Check == nil {
			return ""
		}
		s := fmt.Sprintf("%scheck %s: %s", where, ev.Check.Name, ev.Check.Status)
		if ev.Check.Detail != "" {
			s += ": " + ev.Check.Detail
		}
		if ev.Check.Fix != "" && ev.Check.Status != "Success" {
			s += "; fix: " + ev.Check.Fix
		}
		return s
	case Notice:
		return where + ev.Message
	}
	return where + string(ev.Kind)
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d
}
