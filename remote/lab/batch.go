package lab

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote/script"
)

// batchMarker is the first line of a batch command's script: several of ssisha's
// read-only scripts, each a single-quoted literal in one array, that the batch runs
// one after the other in one powershell.exe (remote/winrm writes it).
const batchMarker = "# ssisha-batch"

// batchListStart opens the array of a batch's scripts.
const batchListStart = "\n$private:scripts = @(\n"

// runBatch runs every script of a batch command in order, each exactly as it would
// run alone, and prints what the batch prints on a node: one JSON object with each
// script's output, or its error message and FullyQualifiedErrorId. A WinRM fault on
// one script's operation faults the whole command, and the scripts after it do not
// run.
func (l *Lab) runBatch(ctx context.Context, host, user, shellID, scriptText string) psOutcome {
	scripts, err := parseBatch(scriptText)
	if err != nil {
		return psOutcome{ErrorMsg: fmt.Sprintf("ssisha lab: the batch cannot be read: %v", err), ErrorID: "UnknownBatch,ssisha.lab", Exit: 1}
	}
	var b strings.Builder
	b.WriteString(`{"results":[`)
	for i, s := range scripts {
		if err := ctx.Err(); err != nil {
			return labPSFailure("ssisha lab: the batch was stopped before its script %d: %v", i+1, err)
		}
		o, faulted := l.runScript(ctx, host, user, shellID, s, scriptInput{})
		if faulted {
			return o
		}
		if i > 0 {
			b.WriteByte(',')
		}
		if o.Exit == 0 {
			b.WriteString(`{"ok":true,"out":` + psJSONString(string(o.Stdout)) + `}`)
			continue
		}
		// A thrown string's FullyQualifiedErrorId is the string itself.
		id := o.ErrorID
		if id == "" {
			id = o.ErrorMsg
		}
		b.WriteString(`{"ok":false,"error":` + psJSONString(o.ErrorMsg) + `,"errorId":` + psJSONString(id) + `}`)
	}
	b.WriteString("]}\r\n")
	return psOutcome{Stdout: []byte(b.String())}
}

// parseBatch returns the scripts a batch carries, in order.
func parseBatch(text string) ([]string, error) {
	text = strings.TrimPrefix(text, "\ufeff")
	first, _, _ := strings.Cut(text, "\n")
	if strings.TrimRight(first, "\r") != batchMarker {
		return nil, fmt.Errorf("its first line is %q, not %q", first, batchMarker)
	}
	i := strings.Index(text, batchListStart)
	if i < 0 {
		return nil, fmt.Errorf("it has no %q line", strings.TrimSpace(batchListStart))
	}
	rest := text[i+len(batchListStart):]
	var scripts []string
	for {
		s, after, err := script.CutPSLiteral(rest)
		if err != nil {
			return nil, fmt.Errorf("script %d: %w", len(scripts)+1, err)
		}
		scripts = append(scripts, s)
		if r, ok := strings.CutPrefix(after, ",\n"); ok {
			rest = r
			continue
		}
		if strings.HasPrefix(after, "\n)\n") {
			return scripts, nil
		}
		if len(after) > 40 {
			after = after[:40] + "…"
		}
		return nil, fmt.Errorf("script %d is followed by %q, not by a comma or the end of the array", len(scripts), after)
	}
}

// psJSONString returns s as Windows PowerShell's ConvertTo-Json writes a string: the
// JSON escapes, with control characters, <, >, & and ' as \u00xx.
func psJSONString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '<', '>', '&', '\'':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
