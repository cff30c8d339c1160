package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/lab/estate"
	"github.com/ssisha/ssisha/steps"
)

// tiny is the smallest estate the measurements run against: no delays, no latency.
var tiny = Estate{Masters: 2, Workers: 1}

func TestRunTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts labs and runs a full apply")
	}
	t.Parallel()
	c := Default()
	c.Apply = tiny
	c.PlanWorkers = []int{1, 2}
	c.ScreenNodes = 3
	// The output window opens a second into the apply and must hold more than a
	// second, since SSH mode redraws at most once a second.
	c.ScreenRun, c.ScreenStep = 2500*time.Millisecond, 50*time.Millisecond
	c.ViewCalls = 3
	r, err := Run(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	positive := map[string]float64{
		"applyWallSeconds": r.ApplyWallSeconds, "applySequentialSeconds": r.ApplySequentialSeconds,
		"httpRequestsPerCommand": r.HTTPRequestsPerCommand, "tdsRoundTripsPerBatch": r.TDSRoundTripsPerBatch,
		"planSeconds5Workers": r.PlanSeconds5Workers, "planSeconds50Workers": r.PlanSeconds50Workers,
		"viewMillis": r.ViewMillis, "normalBytesPerSecond": r.NormalBytesPerSecond, "sshBytesPerSecond": r.SSHBytesPerSecond,
		"firstFrameMillis": r.FirstFrameMillis, "binaryBytes": float64(r.BinaryBytes), "peakRSSBytes": float64(r.PeakRSSBytes),
	}
	for k, v := range positive {
		if v <= 0 {
			t.Errorf("%s = %v, want more than 0", k, v)
		}
	}
	// At Speed 0 the lab spends no operation time, so there is no bound to divide by.
	if r.ApplyLowerBoundSeconds != 0 || r.ApplyRatio != 0 || r.ApplyGraphBoundSeconds != 0 || r.ApplyGraphRatio != 0 {
		t.Errorf("at speed 0 the bounds are %v and %v and the ratios %v and %v, want 0", r.ApplyLowerBoundSeconds, r.ApplyGraphBoundSeconds, r.ApplyRatio, r.ApplyGraphRatio)
	}
	if r.ApplyStrictWallSeconds <= 0 {
		t.Errorf("applyStrictWallSeconds = %v, want more than 0", r.ApplyStrictWallSeconds)
	}
	if len(r.ApplySteps) != 9 {
		t.Errorf("the apply accounted %d steps, want 9", len(r.ApplySteps))
	}
	if r.HTTPRequestsPerCommand < 2 {
		t.Errorf("%.2f HTTP requests per command: a WinRM command needs at least Command and Receive", r.HTTPRequestsPerCommand)
	}
}

func TestStepAccountingCountsBusyTime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab and runs a full apply")
	}
	t.Parallel()
	// A very fast lab still charges its (scaled) operation time; the steps' busy
	// times must add up to the bound, and the biggest steps install software.
	r, err := MeasureApplyStrict(context.Background(), Estate{Masters: 2, Workers: 1, Speed: 0.001}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The graph's critical path is no longer than the steps one after another: every
	// need of a step is on a step before it.
	if r.GraphBound <= 0 || r.GraphBound > r.LowerBound {
		t.Errorf("graph bound %v, step-ordered bound %v: want more than 0 and at most the step-ordered one", r.GraphBound, r.LowerBound)
	}
	var sum time.Duration
	for _, s := range r.Steps {
		sum += s.Busy
		if s.Busy > 0 && s.Busiest == "" {
			t.Errorf("step %d has busy time %v but no busiest host", s.Step, s.Busy)
		}
	}
	if sum != r.LowerBound || sum <= 0 {
		t.Errorf("steps' busy times add up to %v, the bound is %v; want equal and more than 0", sum, r.LowerBound)
	}
	if r.Wall < r.LowerBound {
		t.Errorf("wall time %v is below the lower bound %v: the accounting is wrong", r.Wall, r.LowerBound)
	}
}

// BenchmarkPlan50Workers times a cold plan (new shells) of 2 masters and 50 workers
// at 25 ms per round trip; the lab starts outside the timer.
func BenchmarkPlan50Workers(b *testing.B) { benchmarkPlan(b, 50) }

// BenchmarkPlan5Workers is the same at 5 workers: the two together show the growth.
func BenchmarkPlan5Workers(b *testing.B) { benchmarkPlan(b, 5) }

func benchmarkPlan(b *testing.B, workers int) {
	ctx := context.Background()
	le, err := startEstate(ctx, Estate{Masters: 2, Workers: workers, Speed: 0.01, Latency: 25 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer le.Close()
	b.ResetTimer()
	for b.Loop() {
		if _, err := le.plan(ctx, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyRatio runs the full apply of `lab bench` (2 masters, 4 workers, 25
// ms per round trip) at its speed and at a five times faster lab, and reports wall
// time over the lower bound and HTTP requests per command.
func BenchmarkApplyRatio(b *testing.B) {
	for _, speed := range []float64{Default().Apply.Speed, Default().Apply.Speed / 5} {
		b.Run(fmt.Sprintf("speed=%g", speed), func(b *testing.B) {
			e := Default().Apply
			e.Speed = speed
			for b.Loop() {
				r, err := MeasureApply(context.Background(), e, 0)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(r.Ratio(), "wall/bound")
				b.ReportMetric(per(r.WinRMRequests, r.PowerShell), "http/cmd")
			}
		})
	}
}

func TestApplyTimelineAndRegistrationCharge(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab and runs a full apply")
	}
	t.Parallel()
	const speed = 0.001
	var tl strings.Builder
	r, err := MeasureApplyTraced(context.Background(), Estate{Masters: 2, Workers: 1, Speed: speed, Latency: time.Millisecond}, 0, true, &tl)
	if err != nil {
		t.Fatal(err)
	}
	text := tl.String()
	for _, want := range []string{"run-started", "ps  master.install", "sql ag.create", "step-finished step 9", "worker1.contoso.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("the timeline has no %q:\n%s", want, text)
		}
	}
	// The worker's busy time in step 9 holds its install and the minute it spends
	// registering with the master, which the run has to wait for (with barriers, the
	// step's share is all of it).
	step9 := r.Steps[len(r.Steps)-1]
	install := time.Duration(float64(180*time.Second) * speed)
	registration := time.Duration(float64(estate.WorkerRegistrationDelay) * speed)
	if step9.Step != 9 || step9.Busy < install+registration {
		t.Errorf("step %d busy %v on %s, want at least the install %v and the registration %v", step9.Step, step9.Busy, step9.Busiest, install, registration)
	}
}

// The masters' setups overlap in the graph bound: the secondary needs only the
// primary's certificate, and the primary's setup only that the secondary has copied it.
func TestGraphBoundOverlapsTheTwoSetups(t *testing.T) {
	s := time.Second
	acts := []actionBusy{
		{step: 2, host: "node1", action: "create-certificate", busy: s},
		{step: 2, host: "node1", action: "install-master", busy: 10 * s},
		{step: 2, host: "node1", action: "enable-alwayson", busy: s},
		{step: 3, host: "node2", action: "import-certificate", busy: s},
		{step: 3, host: "node2", action: "install-master", busy: 10 * s},
		{step: 3, host: "node2", action: "enable-alwayson", busy: s},
	}
	// The certificate (1 s), its copy (1 s), then both setups at once and Always On.
	if got, want := graphBound(steps.All(), acts), 13*s; got != want {
		t.Errorf("graph bound %v, want %v", got, want)
	}
}

// One installer runs on a node at a time: the cluster feature and the master's setup
// of node1 follow each other in the bound, though neither needs the other.
func TestGraphBoundRunsOneInstallerPerNode(t *testing.T) {
	s := time.Second
	acts := []actionBusy{
		{step: 1, host: "node1", action: "install-failover-clustering", busy: 3 * s},
		{step: 2, host: "node1", action: "create-certificate", busy: s},
		{step: 2, host: "node1", action: "install-master", busy: 10 * s},
	}
	if cp, _ := criticalPath(steps.All(), acts, -1, 0); cp != 11*s {
		t.Errorf("critical path %v, want 11s (the certificate, then setup; the feature beside them)", cp)
	}
	if got, want := graphBound(steps.All(), acts), 13*s; got != want {
		t.Errorf("graph bound %v, want %v (the feature and setup one after the other)", got, want)
	}
}

// Against the lab, the primary's setup starts only once the secondary has copied the
// certificate from it (engine's graph tests show the two setups then overlap).
func TestApplyCopiesTheCertificateBeforeThePrimarysSetup(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab and runs a full apply")
	}
	var tl strings.Builder
	if _, err := MeasureApplyTraced(context.Background(), tiny, 0, false, &tl); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(tl.String(), "\n")
	at := func(event string) int {
		for i, l := range lines {
			if strings.HasSuffix(strings.TrimSpace(l), event) {
				return i
			}
		}
		t.Fatalf("no %q in the timeline:\n%s", event, tl.String())
		return -1
	}
	if copied, setup := at("action-finished step 3 import-certificate"), at("action-started step 2 install-master"); setup < copied {
		t.Errorf("the primary's setup started before the secondary copied the certificate:\n%s", tl.String())
	}
}

// TestRequestsPerCommand holds the apply to issue 20's figure: at most 3.2 HTTP
// requests per PowerShell command, the handshakes and shell creations of every
// node's shells included. Every script runs as one command (a long one reads itself
// from stdin), so this fails when a script needs several again.
func TestRequestsPerCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a lab and runs a full apply")
	}
	r, err := MeasureApply(context.Background(), Estate{Masters: 2, Workers: 4, Speed: 0.001}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r.PowerShell == 0 {
		t.Fatal("the apply ran no PowerShell command")
	}
	got := per(r.WinRMRequests, r.PowerShell)
	t.Logf("%.2f HTTP requests per PowerShell command (%d / %d)", got, r.WinRMRequests, r.PowerShell)
	if got > 3.2 {
		t.Errorf("%.2f HTTP requests per PowerShell command (%d / %d), want at most 3.2", got, r.WinRMRequests, r.PowerShell)
	}
}
