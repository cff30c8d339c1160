package cli

import (
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/steps/engine"
)

// undetected is the failure of a plan or status in which some targets could not be
// detected (a node down, a wrong CA file): what it shows is not the estate, so the
// command exits 1, with the reason for each target.
func undetected(p *engine.Plan) error {
	var lines []string
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			if t.Err != "" {
				lines = append(lines, fmt.Sprintf("  - step %d on %s: %s", s.ID, t.Target.Host, t.Err))
			}
		}
	}
	if len(lines) == 0 {
		return nil
	}
	return failed(fmt.Errorf("%d step target(s) could not be detected, so the result above is incomplete:\n%s", len(lines), strings.Join(lines, "\n")))
}
