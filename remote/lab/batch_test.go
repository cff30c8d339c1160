package lab

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/remote/script"
)

// batchText is a batch command's script as remote/winrm writes it; the lab reads
// only the marker and the array.
func batchText(scripts ...string) string {
	var b strings.Builder
	b.WriteString(batchMarker + "\n$ErrorActionPreference = 'Stop'" + batchListStart)
	for i, s := range scripts {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(script.QuotePS(s))
	}
	b.WriteString("\n)\nConvertTo-Json -InputObject $x -Compress -Depth 4\n")
	return b.String()
}

type labBatchResult struct {
	OK      bool   `json:"ok"`
	Out     string `json:"out"`
	Error   string `json:"error"`
	ErrorID string `json:"errorId"`
}

func TestBatchRunsEachOperationInOrder(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	text := batchText(
		psScript("test.echo", map[string]any{"Value": "it's <one> & \"two\"\ttabbed"}),
		psScript("test.fail", nil),
		psScript("test.nope", nil),
		psScript("test.echo", map[string]any{"Value": "again"}),
	)
	o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", text, "")
	if o.Exit != 0 || o.ErrorMsg != "" {
		t.Fatalf("exit %d: %s", o.Exit, o.ErrorMsg)
	}
	out := string(o.Stdout)
	if !strings.HasSuffix(out, "]}\r\n") || !strings.Contains(out, `\u0027`) || strings.Contains(out, "'") {
		t.Errorf("stdout is not as ConvertTo-Json -Compress writes it: %s", out)
	}
	var got struct{ Results []labBatchResult }
	if err := json.Unmarshal(o.Stdout, &got); err != nil {
		t.Fatalf("stdout %q: %v", out, err)
	}
	if len(got.Results) != 4 {
		t.Fatalf("%d results", len(got.Results))
	}
	var echo map[string]string
	if r := got.Results[0]; !r.OK || json.Unmarshal([]byte(r.Out), &echo) != nil || echo["value"] != "it's <one> & \"two\"\ttabbed" || !strings.HasSuffix(r.Out, "\r\n") {
		t.Errorf("first result %+v", r)
	}
	if r := got.Results[1]; r.OK || r.Error != "the cluster name is taken" || r.ErrorID != "Taken" {
		t.Errorf("second result %+v", r)
	}
	if r := got.Results[2]; r.OK || !strings.Contains(r.Error, "unknown operation 'test.nope'") || r.ErrorID != "UnknownOperation,ssisha.lab" {
		t.Errorf("third result %+v", r)
	}
	if r := got.Results[3]; !r.OK || !strings.Contains(r.Out, `"value":"again"`) {
		t.Errorf("fourth result %+v", r)
	}
	s := l.Stats()
	if s.Ops["test.echo"] != 2 || s.Ops["test.fail"] != 1 || s.Ops["test.nope"] != 1 || s.Nodes[fxNode1].Commands != 4 {
		t.Errorf("stats %+v, want every operation of the batch counted", s)
	}
}

func TestBatchOfOneIsStillAnArray(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", batchText(psScript("test.echo", nil)), "")
	var got struct{ Results []labBatchResult }
	if err := json.Unmarshal(o.Stdout, &got); err != nil || len(got.Results) != 1 || !got.Results[0].OK {
		t.Fatalf("stdout %q: %v", o.Stdout, err)
	}
}

func TestBatchWinRMFaultFaultsTheCommand(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	if err := l.SetFault(Fault{Kind: WinRMFault, Op: "test.mutate"}); err != nil {
		t.Fatal(err)
	}
	text := batchText(psScript("test.echo", nil), psScript("test.mutate", nil), psScript("test.fail", nil))
	done := make(chan psOutcome, 1)
	go func() {
		done <- l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", text, "")
	}()
	awaitShellFault(t, l, "S1")
	o := <-done
	if o.Exit != 1 || !strings.Contains(o.ErrorMsg, "test.mutate") || len(o.Stdout) != 0 {
		t.Errorf("command outcome %+v", o)
	}
	l.Estate(func(e *estate.Estate) {
		if e.Seq >= 1000 {
			t.Error("the faulted operation ran")
		}
	})
	// The scripts before the fault ran; the ones after it did not.
	if s := l.Stats(); s.Ops["test.echo"] != 1 || s.Ops["test.fail"] != 0 {
		t.Errorf("stats %+v", s.Ops)
	}
}

func TestBadBatchesFailLoudly(t *testing.T) {
	l := newTestLab(t, nil, Options{})
	good := script.QuotePS(psScript("test.echo", nil))
	for name, text := range map[string]string{
		"marker with more":     strings.Replace(batchText(psScript("test.echo", nil)), batchMarker, batchMarker+"2", 1),
		"no array":             batchMarker + "\n'x'\n",
		"not a literal":        batchMarker + batchListStart + "$x\n)\n",
		"unterminated":         batchMarker + batchListStart + good[:len(good)-1],
		"no comma":             batchMarker + batchListStart + good + " " + good + "\n)\n",
		"array never closed":   batchMarker + batchListStart + good + "\n",
		"foreign script in it": batchText("Get-Service"),
	} {
		t.Run(name, func(t *testing.T) {
			o := l.runPowerShell(context.Background(), fxNode1, `CONTOSO\dba`, "S1", text, "")
			if name == "foreign script in it" {
				// The batch is read; the script in it fails as it would alone.
				if o.Exit != 0 || !strings.Contains(string(o.Stdout), "cannot be read") {
					t.Fatalf("got %+v", o)
				}
				return
			}
			if o.Exit != 1 || !strings.Contains(o.ErrorMsg, "the batch cannot be read") || len(o.Stdout) != 0 {
				t.Fatalf("got exit %d, error %q, stdout %q", o.Exit, o.ErrorMsg, o.Stdout)
			}
		})
	}
	if n := l.Stats().Ops["test.echo"]; n != 0 {
		t.Errorf("%d operations ran from unreadable batches", n)
	}
}

func TestPSJSONStringDecodes(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", "<a href=\"x\">&amp;</a>", "tab\there\r\nnew", "\x00\x01\x1f", "über ‘quotes’ \u2028", `back\slash`} {
		var got string
		if err := json.Unmarshal([]byte(psJSONString(s)), &got); err != nil || got != s {
			t.Errorf("psJSONString(%q) = %s, decodes to %q, %v", s, psJSONString(s), got, err)
		}
	}
	if got := psJSONString(`'<>&`); got != `"\u0027\u003c\u003e\u0026"` {
		t.Errorf("got %s", got)
	}
}
