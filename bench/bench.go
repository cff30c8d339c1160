// Package bench measures ssisha against the physical limit of a lab estate: a full
// apply against the lower bound the steps' order allows, the round trips each
// command costs, a plan at scale, the run screen's cost and output rate, and the
// program's footprint. `ssisha lab bench` runs it; the go test benchmarks of this
// package time the pieces.
package bench

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Config shapes one bench run.
type Config struct {
	// Apply is the estate of the full apply; its Latency and Speed also apply to the
	// plans.
	Apply Estate
	// PlanWorkers are the worker counts the plan is timed at, smallest first (the
	// growth is the last over the first).
	PlanWorkers []int
	// ScreenNodes, ScreenWidth and ScreenHeight shape the run screen.
	ScreenNodes, ScreenWidth, ScreenHeight int
	// ScreenRun is how long each output-rate run lasts; ScreenStep is how long each
	// action of the fake backend takes in it.
	ScreenRun, ScreenStep time.Duration
	// ViewCalls is how many View() calls are averaged.
	ViewCalls int
	// SourceDir is the module root to build the binary from; "" measures the running
	// executable instead.
	SourceDir string
	// Self starts ssisha as a separate process for the peak-memory figure; nil
	// measures this process instead (lab included).
	Self []string
	// Progress, when set, hears which measurement runs now.
	Progress func(string)
	// Trace, when set, receives the timeline of the full apply (all targets of a
	// step at once): every command and batch with its host, start and duration.
	Trace io.Writer
}

// Default is the configuration `ssisha lab bench` runs: the estate and sizes the
// targets are stated for, in about four minutes on two cores. The lab spends a
// twentieth of a real estate's operation times (a 4-minute install takes 12 s) and
// adds 25 ms to every round trip, as a network between sites would: a faster lab
// makes operations shorter than the round trips that start them, which no real
// estate has (docs/benchmarks.md shows the apply at both scales).
func Default() Config {
	return Config{
		Apply:        Estate{Masters: 2, Workers: 4, Speed: 0.05, Latency: 25 * time.Millisecond},
		PlanWorkers:  []int{5, 50},
		ScreenNodes:  16,
		ScreenWidth:  200,
		ScreenHeight: 60,
		ScreenRun:    8 * time.Second,
		ScreenStep:   500 * time.Millisecond,
		ViewCalls:    200,
	}
}

// Result is every figure, with the keys `ssisha lab bench --output json` prints.
type Result struct {
	Masters int     `json:"masters"`
	Workers int     `json:"workers"`
	Speed   float64 `json:"speed"`
	// LatencyMillis is added to every round trip.
	LatencyMillis float64 `json:"latencyMillis"`

	// ApplyWallSeconds is the full apply as ssisha runs it by default: each target
	// as soon as what it needs is done. ApplyGraphBoundSeconds is the bound of those
	// needs and of one installer per node over the actions' busy times (the longer of
	// ApplyCriticalPathSeconds, the needs' critical path, and each node's installers
	// one after another), and ApplyGraphRatio the wall over it; ApplyWallOverStepBound
	// holds the same wall to the step-ordered bound.
	ApplyWallSeconds         float64 `json:"applyWallSeconds"`
	ApplyGraphBoundSeconds   float64 `json:"applyGraphBoundSeconds"`
	ApplyCriticalPathSeconds float64 `json:"applyCriticalPathSeconds"`
	ApplyGraphRatio          float64 `json:"applyGraphRatio"`
	ApplyWallOverStepBound   float64 `json:"applyWallOverStepBound"`
	// ApplyStrictWallSeconds is the same apply in the documented order (`--order
	// strict`); ApplyLowerBoundSeconds is the sum over steps of the busiest target's
	// busy time, and ApplyRatio the one over the other, as before the graph.
	ApplyStrictWallSeconds float64      `json:"applyStrictWallSeconds"`
	ApplyLowerBoundSeconds float64      `json:"applyLowerBoundSeconds"`
	ApplyRatio             float64      `json:"applyRatio"`
	ApplySequentialSeconds float64      `json:"applySequentialSeconds"`
	ApplySequentialRatio   float64      `json:"applySequentialRatio"`
	ApplySteps             []StepTiming `json:"applySteps"`
	// ApplyNoLatencySeconds is the same apply with no latency added: the wall time
	// less this is what the round trips cost, and that over the latency is how many
	// round trips lie one after another on the run's critical path.
	ApplyNoLatencySeconds float64 `json:"applyNoLatencySeconds"`
	ApplyNoLatencyRatio   float64 `json:"applyNoLatencyRatio"`
	SerialRoundTrips      float64 `json:"serialRoundTrips"`

	PowerShellCommands     int     `json:"powerShellCommands"`
	WinRMRequests          int     `json:"winrmRequests"`
	HTTPRequestsPerCommand float64 `json:"httpRequestsPerCommand"`
	SQLBatches             int     `json:"sqlBatches"`
	TDSRoundTrips          int     `json:"tdsRoundTrips"`
	TDSRoundTripsPerBatch  float64 `json:"tdsRoundTripsPerBatch"`

	PlanSeconds5Workers  float64 `json:"planSeconds5Workers"`
	PlanSeconds50Workers float64 `json:"planSeconds50Workers"`
	PlanGrowth           float64 `json:"planGrowth"`
	// PlanWorkers are the worker counts behind the two plan figures.
	PlanWorkers []int `json:"planWorkers"`

	ViewMillis           float64 `json:"viewMillis"`
	NormalBytesPerSecond float64 `json:"normalBytesPerSecond"`
	SSHBytesPerSecond    float64 `json:"sshBytesPerSecond"`
	FirstFrameMillis     float64 `json:"firstFrameMillis"`
	BinaryBytes          int64   `json:"binaryBytes"`
	BinarySource         string  `json:"binarySource"`
	PeakRSSBytes         int64   `json:"peakRSSBytes"`
	PeakRSSSource        string  `json:"peakRSSSource"`
	TotalSeconds         float64 `json:"totalSeconds"`
}

// Run takes every measurement of c in turn.
func Run(ctx context.Context, c Config) (*Result, error) {
	start := time.Now()
	say := func(s string) {
		if c.Progress != nil {
			c.Progress(s)
		}
	}
	e := c.Apply
	r := &Result{Masters: e.Masters, Workers: e.Workers, Speed: e.Speed, LatencyMillis: ms(e.Latency)}

	say(fmt.Sprintf("full apply in the documented order (--order strict), %d masters and %d workers, all targets of a step at once", e.Masters, e.Workers))
	strict, err := MeasureApplyStrict(ctx, e, 0)
	if err != nil {
		return nil, err
	}
	r.ApplyStrictWallSeconds, r.ApplyLowerBoundSeconds, r.ApplyRatio = strict.Wall.Seconds(), strict.LowerBound.Seconds(), strict.Ratio()
	r.ApplySteps = strict.Steps
	r.ApplyGraphBoundSeconds = strict.GraphBound.Seconds()
	r.ApplyCriticalPathSeconds = strict.CriticalPath.Seconds()

	say("full apply, each target as soon as what it needs is done")
	par, err := measureApply(ctx, e, 0, false, c.Trace)
	if err != nil {
		return nil, err
	}
	r.ApplyWallSeconds = par.Wall.Seconds()
	r.ApplyGraphRatio = ratio(par.Wall, strict.GraphBound)
	r.ApplyWallOverStepBound = ratio(par.Wall, strict.LowerBound)
	r.PowerShellCommands, r.WinRMRequests = par.PowerShell, par.WinRMRequests
	r.SQLBatches, r.TDSRoundTrips = par.SQL, par.TDSRoundTrips
	r.HTTPRequestsPerCommand = per(par.WinRMRequests, par.PowerShell)
	r.TDSRoundTripsPerBatch = per(par.TDSRoundTrips, par.SQL)

	if e.Latency > 0 {
		say("the same apply with no latency added")
		nl := e
		nl.Latency = 0
		zero, err := MeasureApply(ctx, nl, 0)
		if err != nil {
			return nil, err
		}
		r.ApplyNoLatencySeconds, r.ApplyNoLatencyRatio = zero.Wall.Seconds(), ratio(zero.Wall, strict.GraphBound)
		r.SerialRoundTrips = (par.Wall - zero.Wall).Seconds() / e.Latency.Seconds()
	}

	say("the same apply one target at a time (--parallel 1)")
	seq, err := MeasureApply(ctx, e, 1)
	if err != nil {
		return nil, err
	}
	r.ApplySequentialSeconds, r.ApplySequentialRatio = seq.Wall.Seconds(), seq.Ratio()

	r.PlanWorkers = c.PlanWorkers
	var plans []float64
	for _, w := range c.PlanWorkers {
		say(fmt.Sprintf("plan, %d masters and %d workers", e.Masters, w))
		pe := e
		pe.Workers = w
		p, err := MeasurePlan(ctx, pe, 0)
		if err != nil {
			return nil, err
		}
		plans = append(plans, p.Wall.Seconds())
	}
	if len(plans) > 0 {
		r.PlanSeconds5Workers, r.PlanSeconds50Workers = plans[0], plans[len(plans)-1]
		if plans[0] > 0 {
			r.PlanGrowth = plans[len(plans)-1] / plans[0]
		}
	}

	say("run screen")
	r.ViewMillis = ms(ViewCost(c.ScreenNodes, c.ScreenWidth, c.ScreenHeight, c.ViewCalls))
	if r.NormalBytesPerSecond, err = OutputRate(ctx, c.ScreenNodes, c.ScreenWidth, c.ScreenHeight, false, c.ScreenRun, c.ScreenStep); err != nil {
		return nil, err
	}
	if r.SSHBytesPerSecond, err = OutputRate(ctx, c.ScreenNodes, c.ScreenWidth, c.ScreenHeight, true, c.ScreenRun, c.ScreenStep); err != nil {
		return nil, err
	}
	ff, err := FirstFrame(ctx)
	if err != nil {
		return nil, err
	}
	r.FirstFrameMillis = ms(ff)

	say("footprint")
	if c.SourceDir != "" {
		r.BinaryBytes, err = BinarySize(ctx, c.SourceDir)
		r.BinarySource = "go build of " + c.SourceDir
	} else {
		r.BinaryBytes, err = ExecutableSize()
		r.BinarySource = "running executable"
	}
	if err != nil {
		return nil, err
	}
	pw := e
	if len(c.PlanWorkers) > 0 {
		pw.Workers = c.PlanWorkers[len(c.PlanWorkers)-1]
	}
	if c.Self != nil {
		r.PeakRSSBytes, err = PlanPeakRSS(ctx, pw, c.Self)
		r.PeakRSSSource = fmt.Sprintf("ssisha plan, %d workers, separate process", pw.Workers)
		if err != nil {
			return nil, err
		}
	} else {
		r.PeakRSSBytes = SelfPeakRSS()
		r.PeakRSSSource = "this process, lab included"
	}
	r.TotalSeconds = time.Since(start).Seconds()
	return r, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func per(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ratio is wall over bound, 0 when there is no bound (at Speed 0).
func ratio(wall, bound time.Duration) float64 {
	if bound <= 0 {
		return 0
	}
	return wall.Seconds() / bound.Seconds()
}
