package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/engine"
)

// irreversibleNote is an action a plan said cannot be undone, and why.
type irreversibleNote struct {
	step          int
	host, summary string
	why           string
}

// noteIrreversible remembers the plan's actions that cannot be undone, so an undo
// confirmation can still name them after a later plan no longer lists them (done
// steps have no pending actions).
func (m *model) noteIrreversible(p *engine.Plan) {
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			for _, a := range t.Detection.Actions {
				if a.Irreversible == "" {
					continue
				}
				n := irreversibleNote{step: s.ID, host: t.Target.Host, summary: a.Summary, why: a.Irreversible}
				if !slices.Contains(m.irreversible, n) {
					m.irreversible = append(m.irreversible, n)
				}
			}
		}
	}
}

// undoLines say, per node, which steps an undo of ids reverses (in the order it runs
// them), then what it cannot reverse and why.
func (m *model) undoLines(ids []int) []string {
	order := slices.Clone(ids)
	slices.Sort(order)
	slices.Reverse(order)
	perNode := map[string][]string{}
	var nodes []string
	if p := m.plan.plan; p != nil {
		for _, id := range order {
			for _, s := range p.Steps {
				if s.ID != id {
					continue
				}
				for _, t := range s.Targets {
					h := shortHost(t.Target.Host)
					if _, ok := perNode[h]; !ok {
						nodes = append(nodes, h)
					}
					perNode[h] = append(perNode[h], itoa(id))
				}
			}
		}
	}
	var out []string
	for _, h := range nodes {
		out = append(out, h+": "+stepList(perNode[h]))
	}
	if len(nodes) == 0 {
		out = append(out, "Undoes "+stepList(order)+".")
	}
	for _, n := range m.irreversible {
		if slices.Contains(ids, n.step) {
			out = append(out, fmt.Sprintf("Cannot be undone on %s, step %d: %s (%s).", shortHost(n.host), n.step, n.summary, n.why))
		}
	}
	return out
}

// confirmUndo asks for an undo of ids as terraform destroy does: it lists what goes and
// what stays, and runs only when the cluster's name is typed.
func (m *model) confirmUndo(title string, intro []string, ids []int) {
	name := m.a.Cluster.Name
	body := append(slices.Clone(intro), m.undoLines(ids)...)
	d := promptFor(title, "Type the cluster name ("+name+") to undo", "", func(m *model, typed string) tea.Cmd {
		if !strings.EqualFold(strings.TrimSpace(typed), name) {
			m.flash = "The name typed is not the cluster's (" + name + "); nothing was undone."
			return nil
		}
		return m.startRollback(ids)
	})
	d.body = body
	m.dlg = d
}
