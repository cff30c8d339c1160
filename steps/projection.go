package steps

import (
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The plan looks forward: once the real estate is detected, the planner assumes every
// action it planned succeeds and detects each later step on the estate that follows.
// That estate is a Projection. It is never written anywhere: the facts readers the
// steps share (readMasterNode, readReplicaFacts, ...) pass what they read through it,
// and it adds what the planned actions of earlier steps will have made by then. A
// value that exists only once an action has run (a thumbprint, a SID) is a named
// placeholder, "<after apply: master certificate thumbprint>", in the plan's text and
// in its scripts; apply detects each step again when its turn comes, so a placeholder
// never reaches a node.

// placeholderPrefix starts every placeholder.
const placeholderPrefix = "<after apply: "

// Placeholder names a value that is known only after apply.
func Placeholder(name string) string { return placeholderPrefix + name + ">" }

// IsPlaceholder reports whether s is (or holds) a placeholder, whatever its case.
func IsPlaceholder(s string) bool { return placeholderRE.MatchString(s) }

var (
	placeholderRE = regexp.MustCompile(`(?i)<after apply: [^<>]*>`)
	// placeholderHexRE is a placeholder that travelled as binary (a SID parameter),
	// displayed as 0x and its bytes.
	placeholderHexRE = regexp.MustCompile(`(?i)0x3C6166746572206170706C793A20(?:[0-9A-F]{2})*?3E`)
)

// ShowPlaceholders rewrites the placeholders in a displayed script or summary the way
// the plan names them: as text where a binary parameter carried one, and in lower
// case where a step upper-cased one whole (as it does a thumbprint).
func ShowPlaceholders(s string) string {
	if !strings.Contains(s, "0x3C") && !strings.Contains(s, placeholderPrefix) && !strings.Contains(s, strings.ToUpper(placeholderPrefix)) {
		// Steps only ever upper-case a placeholder whole (a thumbprint), so these
		// are all the forms one can take.
		return s
	}
	s = placeholderHexRE.ReplaceAllStringFunc(s, func(m string) string {
		b, err := hex.DecodeString(m[2:])
		if err != nil {
			return m
		}
		return string(b)
	})
	return placeholderRE.ReplaceAllStringFunc(s, func(m string) string {
		if m == strings.ToUpper(m) {
			return strings.ToLower(m)
		}
		return m
	})
}

// Placeholders lists the distinct placeholders in s, in order of first appearance.
func Placeholders(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholderRE.FindAllString(ShowPlaceholders(s), -1) {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// Projection is the estate as it will be once the planned actions of the steps
// recorded so far (Assume) have run. A nil *Projection is the real estate.
type Projection struct {
	mu sync.RWMutex
	// planned is, per step and host (lower case), the actions planned there.
	planned map[int]map[string][]Action
	// thumbprint is the master certificate the masters will use.
	thumbprint string
}

// NewProjection returns a projection that assumes nothing yet.
func NewProjection() *Projection {
	return &Projection{planned: map[int]map[string][]Action{}}
}

// Assume records that the actions d planned for step on target t will have run
// before the next step. A detection without actions changes nothing.
func (p *Projection) Assume(step int, t Target, d Detection) {
	if len(d.Actions) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.planned[step] == nil {
		p.planned[step] = map[string][]Action{}
	}
	p.planned[step][strings.ToLower(t.Host)] = d.Actions
	switch step {
	case 2:
		if c, _ := d.Facts["certificate"].(string); c != "" && c != "to be generated" {
			p.thumbprint = c
		} else {
			p.thumbprint = Placeholder("master certificate thumbprint")
		}
	case 3:
		if c, _ := d.Facts["primaryThumbprint"].(string); c != "" && p.thumbprint == "" {
			p.thumbprint = c
		}
	}
}

// Steps lists the steps the projection assumes actions of, in order.
func (p *Projection) Steps() []int {
	if p == nil {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []int
	for s := range p.planned {
		out = append(out, s)
	}
	sort.Ints(out)
	return out
}

// changes reports whether step has actions planned on host ("" for any host).
func (p *Projection) changes(step int, host string) bool {
	if p == nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if host == "" {
		return len(p.planned[step]) > 0
	}
	_, ok := p.planned[step][strings.ToLower(host)]
	return ok
}

// plans reports whether step plans the action id on any host.
func (p *Projection) plans(step int, id string) bool {
	if p == nil {
		return false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, acts := range p.planned[step] {
		for _, a := range acts {
			if a.ID == id {
				return true
			}
		}
	}
	return false
}

// undoHints returns the undo hints of every planned action id of step, decoded into
// a fresh U each.
func undoHints[U any](p *Projection, step int, id string) []U {
	if p == nil {
		return nil
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []U
	for _, acts := range p.planned[step] {
		for _, a := range acts {
			var u U
			if a.ID == id && json.Unmarshal(a.UndoHint, &u) == nil {
				out = append(out, u)
			}
		}
	}
	return out
}

// masterThumbprint is the certificate the masters will use.
func (p *Projection) masterThumbprint() string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.thumbprint
}

// installsMaster reports whether step 2 (the primary) or 3 (a secondary) plans
// actions on host: afterwards its master is installed as the answers say.
func (p *Projection) installsMaster(host string) bool {
	return p.changes(2, host) || p.changes(3, host)
}

// projectedRead is one facts reader seen through the projection: read, unless skip
// says the projection alone answers, then over what it found.
func projectedRead[T any](p *Projection, read func() (T, error), skip bool, over func(*T)) (T, error) {
	var v T
	if p == nil {
		return read()
	}
	if !skip {
		var err error
		if v, err = read(); err != nil {
			return v, err
		}
	}
	over(&v)
	return v, nil
}
