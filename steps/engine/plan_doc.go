package engine

// PlanDoc is the plan as data: what `ssisha plan --output json` writes, one object. It
// holds nothing that changes from one plan of the same estate to the next (no times,
// no run IDs), and its lists keep the plan's order, so two plans can be diffed in a
// pipeline: a difference is a difference in what would run.
type PlanDoc struct {
	// Fingerprint ties the plan to the facts it was computed from; apply refuses to
	// follow a plan (`--bundle`) whose fingerprint no longer matches the estate.
	Fingerprint string `json:"fingerprint"`
	// Counts are the apply confirmation's figures.
	Counts PlanCounts `json:"counts"`
	// Steps are the steps in run order.
	Steps []PlanDocStep `json:"steps"`
}

// PlanDocStep is one step of the plan.
type PlanDocStep struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	Scope string `json:"scope"`
	// Predicted is true when the step was planned on the estate the earlier steps'
	// planned actions leave, rather than detected as the estate is now.
	Predicted bool            `json:"predicted"`
	Targets   []PlanDocTarget `json:"targets"`
}

// PlanDocTarget is one target of a step.
type PlanDocTarget struct {
	Host string `json:"host"`
	Role string `json:"role"`
	// State is done, pending, drift, blocked, or error when detection failed.
	State string `json:"state"`
	// Reason and Fix say why a target drifted or is blocked, and what to do.
	Reason string `json:"reason,omitempty"`
	Fix    string `json:"fix,omitempty"`
	// WaitsFor names the earlier blocked step this target waits for: the plan could
	// not look past it, so this target shows the estate as it is now.
	WaitsFor string          `json:"waitsFor,omitempty"`
	Actions  []PlanDocAction `json:"actions"`
}

// PlanDocAction is one action, in run order on its target.
type PlanDocAction struct {
	// ID is the action's stable journal ID within its step.
	ID string `json:"id"`
	// Symbol is its mark in the text plan: + create, ~ change, - delete, @ restart,
	// ! cannot be undone.
	Symbol  string `json:"symbol"`
	Summary string `json:"summary"`
	Kind    string `json:"kind"`
	// Irreversible says why the action cannot be undone; empty when it can.
	Irreversible string `json:"irreversible,omitempty"`
	// Placeholders are the values of its summary and scripts known only after apply.
	Placeholders []string `json:"placeholders,omitempty"`
	// Scripts are its commands, each with the file the bundle (`plan --out`) writes
	// it to.
	Scripts []PlanDocScript `json:"scripts"`
}

// PlanDocScript is one command of an action.
type PlanDocScript struct {
	// File is the command's path in the bundle, relative to its folder.
	File string `json:"file"`
	// Host is where it runs: a node, or the availability group listener.
	Host   string `json:"host"`
	Op     string `json:"op"`
	SHA256 string `json:"sha256"`
	// Script is its text as the bundle holds it: secrets only as placeholders.
	Script       string   `json:"script"`
	Placeholders []string `json:"placeholders,omitempty"`
}

// Doc returns the plan as data.
func (e *Engine) Doc(p *Plan) PlanDoc {
	doc := PlanDoc{Fingerprint: p.Fingerprint, Counts: p.Counts(), Steps: []PlanDocStep{}}
	scripts := e.Scripts(p)
	next := 0 // Scripts lists the commands in the order walked here
	for _, s := range p.Steps {
		ds := PlanDocStep{ID: s.ID, Title: s.Title, Scope: s.Scope, Predicted: s.Predicted(), Targets: []PlanDocTarget{}}
		for _, t := range s.Targets {
			d := t.Detection
			dt := PlanDocTarget{Host: t.Target.Host, Role: t.Target.Role, State: string(d.State), Reason: e.redact(d.Reason),
				Fix: e.redact(d.Fix), WaitsFor: t.WaitsFor, Actions: []PlanDocAction{}}
			if t.Err != "" {
				dt.State, dt.Reason = "error", e.redact(t.Err)
			}
			for _, a := range d.Actions {
				da := PlanDocAction{ID: a.ID, Symbol: Symbol(a), Summary: e.redact(a.Summary), Kind: string(a.Kind),
					Irreversible: e.redact(a.Irreversible), Placeholders: actionPlaceholders(a), Scripts: []PlanDocScript{}}
				for range a.Commands {
					sc := scripts[next]
					next++
					da.Scripts = append(da.Scripts, PlanDocScript{File: sc.Path, Host: sc.Host, Op: sc.Op, SHA256: sc.SHA256,
						Script: sc.Text, Placeholders: sc.Placeholders})
				}
				dt.Actions = append(dt.Actions, da)
			}
			ds.Targets = append(ds.Targets, dt)
		}
		doc.Steps = append(doc.Steps, ds)
	}
	return doc
}
