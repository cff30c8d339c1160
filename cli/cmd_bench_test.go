package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLabBenchJSON runs `lab bench` in the smallest configuration and checks that the
// JSON carries every figure with a sane value; the targets are the benchmark's
// business, not a test's.
func TestLabBenchJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several labs")
	}
	// The peak-memory figure runs ssisha as a separate process: this test binary,
	// which TestMain has told its children to be ssisha.
	t.Parallel()
	var out, errOut bytes.Buffer
	a := newApp(BuildInfo{Version: "test"}, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	a.isTerminal = func() bool { return false }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	trace := filepath.Join(t.TempDir(), "timeline.txt")
	// --screen-run: the output window opens a second into the apply and must hold
	// more than a second, since SSH mode redraws at most once a second.
	code := a.run(ctx, []string{"lab", "bench", "--output", "json", "--workers", "1", "--speed", "0", "--latency", "1ms",
		"--plan-workers", "1,2", "--screen-run", "2500ms", "--trace", trace})
	if code != 0 {
		t.Fatalf("lab bench exited %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	var m map[string]any
	if err := json.Unmarshal(out.Bytes(), &m); err != nil {
		t.Fatalf("lab bench --output json is not one JSON object: %v\n%s", err, out.String())
	}
	positive := []string{"applyWallSeconds", "applySequentialSeconds", "httpRequestsPerCommand", "planSeconds5Workers",
		"planSeconds50Workers", "viewMillis", "sshBytesPerSecond", "firstFrameMillis", "binaryBytes", "peakRSSBytes",
		"applyNoLatencySeconds"}
	for _, k := range positive {
		v, ok := m[k].(float64)
		if !ok || v <= 0 {
			t.Errorf("%s = %v, want a number above 0", k, m[k])
		}
	}
	// The timeline of the full apply: its commands with their hosts, and the
	// engine's events.
	tl, err := os.ReadFile(trace)
	if err != nil {
		t.Fatalf("--trace wrote no timeline: %v", err)
	}
	for _, want := range []string{"run-started", "ps  master.install", "node1.contoso.com", "step-finished step 9"} {
		if !strings.Contains(string(tl), want) {
			t.Errorf("the timeline has no %q", want)
		}
	}
	// Speed 0 spends no operation time: the bound and the ratio are 0, but present.
	for _, k := range []string{"applyLowerBoundSeconds", "applyRatio", "applyGraphBoundSeconds", "applyGraphRatio", "applyStrictWallSeconds", "serialRoundTrips"} {
		if _, ok := m[k].(float64); !ok {
			t.Errorf("%s is missing or not a number: %v", k, m[k])
		}
	}
}
