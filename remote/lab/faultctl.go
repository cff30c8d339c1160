package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Changing the faults of a lab that runs in another process (`ssisha lab serve --dir
// DIR`, changed by `ssisha lab fault --dir DIR`) goes through two files in DIR, so
// that nothing listens on the network for it and only whoever may write DIR (0700)
// can change them:
//
//   - FaultRequestFile: the faults wanted, with a generation number one above the
//     last one applied. `lab fault` writes it (a new file renamed over the old).
//   - FaultStateFile: the faults in force and the generation they answer, or why
//     the request was refused. The serving lab writes it at start and after each
//     request, and `lab fault` waits for it.
const (
	FaultRequestFile = "faults-request.json"
	FaultStateFile   = "faults.json"
)

// FaultState is what FaultStateFile holds.
type FaultState struct {
	Generation int      `json:"generation"`
	Faults     []string `json:"faults"`
	// Error is why the request of this generation was refused ("" when applied).
	Error string `json:"error,omitempty"`
}

// faultRequest is what FaultRequestFile holds.
type faultRequest struct {
	Generation int      `json:"generation"`
	Faults     []string `json:"faults"`
}

// ServeFaultControl applies the fault requests written to dir until ctx ends, checking
// every poll. It writes the faults in force first. report, when set, hears of each
// request applied or refused.
func (l *Lab) ServeFaultControl(ctx context.Context, dir string, poll time.Duration, report func(FaultState)) error {
	gen := 0
	if err := writeJSONFile(filepath.Join(dir, FaultStateFile), l.faultState(gen, "")); err != nil {
		return err
	}
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-l.closing:
			return nil
		case <-t.C:
		}
		var req faultRequest
		if readJSONFile(filepath.Join(dir, FaultRequestFile), &req) != nil || req.Generation <= gen {
			continue
		}
		gen = req.Generation
		msg := ""
		if fs, err := parseFaults(req.Faults); err != nil {
			msg = err.Error()
		} else if err := l.SetFaults(fs); err != nil {
			msg = err.Error()
		}
		st := l.faultState(gen, msg)
		if err := writeJSONFile(filepath.Join(dir, FaultStateFile), st); err != nil {
			return err
		}
		if report != nil {
			report(st)
		}
	}
}

func (l *Lab) faultState(gen int, msg string) FaultState {
	st := FaultState{Generation: gen, Error: msg, Faults: []string{}}
	for _, f := range l.Faults() {
		st.Faults = append(st.Faults, f.String())
	}
	return st
}

func parseFaults(specs []string) ([]Fault, error) {
	out := make([]Fault, 0, len(specs))
	for _, s := range specs {
		f, err := ParseFault(s)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// ReadFaultState reads the faults in force in the lab served from dir.
func ReadFaultState(dir string) (FaultState, error) {
	var st FaultState
	if err := readJSONFile(filepath.Join(dir, FaultStateFile), &st); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return st, fmt.Errorf("no lab is serving %s (no %s): start one with `ssisha lab serve --dir %s`", dir, FaultStateFile, dir)
		}
		return st, err
	}
	return st, nil
}

// RequestFaults asks the lab served from dir to put exactly faults in force, and
// waits until it has (or refused, or ctx ends).
func RequestFaults(ctx context.Context, dir string, faults []Fault) (FaultState, error) {
	cur, err := ReadFaultState(dir)
	if err != nil {
		return cur, err
	}
	req := faultRequest{Generation: cur.Generation + 1, Faults: []string{}}
	for _, f := range faults {
		req.Faults = append(req.Faults, f.String())
	}
	if err := writeJSONFile(filepath.Join(dir, FaultRequestFile), req); err != nil {
		return cur, err
	}
	for {
		st, err := ReadFaultState(dir)
		if err == nil && st.Generation >= req.Generation {
			if st.Error != "" {
				return st, errors.New(st.Error)
			}
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("the lab serving %s did not take the faults (is `ssisha lab serve --dir %s` still running?): %w", dir, dir, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func readJSONFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// writeJSONFile replaces path at once (a reader never sees half a file), mode 0600.
func writeJSONFile(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return labWriteAtomic(path, data, 0o600)
}
