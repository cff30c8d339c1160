package engine

import (
	"encoding/json"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
)

// Notice is an event that tells the person something the run decided, for example
// that an interrupted action is being resumed. Message holds the text.
const Notice EventKind = "notice"

// emit redacts ev and hands it to every subscriber, one event at a time, so that
// subscribers need no locking of their own and see events in one order.
func (e *Engine) emit(ev Event) {
	if ev.Time.IsZero() {
		ev.Time = e.now()
	}
	r := e.redactor()
	redactText(r, &ev.Title, &ev.Target, &ev.Action, &ev.Summary, &ev.Script, &ev.State, &ev.Message, &ev.Error, &ev.Fix)
	if ev.Check != nil {
		c := *ev.Check
		redactText(r, &c.Name, &c.Detail, &c.Fix)
		ev.Check = &c
	}
	e.subMu.Lock()
	defer e.subMu.Unlock()
	for _, s := range e.subs {
		s(ev)
	}
}

// redactText redacts the given free-text fields in place: the one way the fields of
// an event and of a journal record are cleaned.
func redactText(r *script.Redactor, fields ...*string) {
	for _, f := range fields {
		*f = r.Redact(*f)
	}
}

// redactValue returns v with every string in it redacted. Values that are not plain
// JSON shapes are taken through JSON first, so nothing escapes the walk.
func redactValue(r *script.Redactor, v any) any {
	switch x := v.(type) {
	case nil, bool, float64, int, int64, json.Number:
		return x
	case string:
		return r.Redact(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, val := range x {
			m[r.Redact(k)] = redactValue(r, val)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i := range x {
			s[i] = redactValue(r, x[i])
		}
		return s
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return r.Redact(err.Error())
		}
		var plain any
		if err := json.Unmarshal(b, &plain); err != nil {
			return r.Redact(string(b))
		}
		return redactValue(r, plain)
	}
}

// redactUndo redacts every string of journaled undo data. Data that is not JSON (it
// never is, but the journal must not carry it unredacted) is kept as a redacted string.
func redactUndo(r *script.Redactor, u steps.Undo) steps.Undo {
	var plain any
	if err := json.Unmarshal(u, &plain); err != nil {
		b, _ := json.Marshal(r.Redact(string(u)))
		return b
	}
	b, err := json.Marshal(redactValue(r, plain))
	if err != nil {
		return nil
	}
	return b
}

// redactMap redacts a map of facts; nil stays nil.
func redactMap(r *script.Redactor, m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out, _ := redactValue(r, m).(map[string]any)
	return out
}
