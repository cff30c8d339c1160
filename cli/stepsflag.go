package cli

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/ssisha/ssisha/steps"
)

// parseSteps reads a --steps value: numbers and ranges, "5,6", "9-7", "1-3,8".
// It returns the steps in ascending order without repeats; ranges may run either way.
func parseSteps(v string) ([]int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	seen := map[int]bool{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := stepNumber(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = stepNumber(hi); err != nil {
				return nil, err
			}
		}
		if a > b {
			a, b = b, a
		}
		for i := a; i <= b; i++ {
			seen[i] = true
		}
	}
	out := make([]int, 0, len(seen))
	for i := range seen {
		out = append(out, i)
	}
	sort.Ints(out)
	return out, nil
}

func stepNumber(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if last := len(steps.All()); err != nil || n < 1 || n > last {
		return 0, fmt.Errorf("--steps: %q is not a step; steps are numbered 1 to %d, for example --steps 5,6 or --steps 7-9", s, last)
	}
	return n, nil
}
