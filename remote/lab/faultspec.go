package lab

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A fault as a person types it on the command line (`ssisha lab --fault`, `ssisha lab
// fault`): the kind, then its settings after a colon, comma separated:
//
//	node-down:host=node2
//	unreachable:host=node1,after=3
//	latency:duration=40ms            (every node)   latency:host=node1,duration=2s
//	winrm-fault:op=master.install    winrm-fault:host=worker1
//	auth-failure:host=node1
//	sql-reset:host=node1,after=2
//	slow-op:op=ssisdb.catalog.create,duration=20m
//	ag-failover-at:host=node2,op=ssisdb.catalog.create
//	master-failover-at:host=node2,op=master.settings.set

// ParseFault reads one fault as the command line spells it, and validates it.
func ParseFault(spec string) (Fault, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	k, err := parseFaultKind(strings.TrimSpace(kind))
	if err != nil {
		return Fault{}, err
	}
	f := Fault{Kind: k}
	for part := range strings.SplitSeq(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return Fault{}, fmt.Errorf("fault %q: %q is not key=value (keys: host, op, after, duration)", spec, part)
		}
		val = strings.TrimSpace(val)
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "host":
			f.Host = val
		case "op":
			f.Op = val
		case "after":
			n, err := strconv.Atoi(val)
			if err != nil {
				return Fault{}, fmt.Errorf("fault %q: after=%s is not a whole number of requests", spec, val)
			}
			f.After = n
		case "duration":
			d, err := time.ParseDuration(val)
			if err != nil {
				return Fault{}, fmt.Errorf("fault %q: duration=%s is not a duration such as 40ms or 2m", spec, val)
			}
			f.Duration = d
		default:
			return Fault{}, fmt.Errorf("fault %q: unknown setting %q (keys: host, op, after, duration)", spec, key)
		}
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

// String spells the fault as ParseFault reads it.
func (f Fault) String() string {
	var parts []string
	if f.Host != "" {
		parts = append(parts, "host="+f.Host)
	}
	if f.Op != "" {
		parts = append(parts, "op="+f.Op)
	}
	if f.After != 0 {
		parts = append(parts, "after="+strconv.Itoa(f.After))
	}
	if f.Duration != 0 {
		parts = append(parts, "duration="+f.Duration.String())
	}
	if len(parts) == 0 {
		return string(f.Kind)
	}
	return string(f.Kind) + ":" + strings.Join(parts, ",")
}

// FaultKindNames lists the kinds the lab injects, for help texts.
func FaultKindNames() []string {
	names := make([]string, len(faultKinds))
	for i, k := range faultKinds {
		names[i] = string(k)
	}
	return names
}

// SetFaults replaces the faults in force with fs, all or none: a fault that cannot
// apply leaves the faults as they were.
func (l *Lab) SetFaults(fs []Fault) error {
	for _, f := range fs {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	l.faults.mu.Lock()
	defer l.faults.mu.Unlock()
	l.faults.active = nil
	for _, f := range fs {
		l.faults.active = append(l.faults.active, &activeFault{Fault: f, remaining: f.After})
	}
	return nil
}
