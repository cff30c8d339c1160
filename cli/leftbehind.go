package cli

import (
	"slices"
	"strings"
)

// leftBehind says what a rollback of these steps (all when empty) leaves on the
// nodes on purpose, so that nobody takes it for something rollback forgot: the
// settings files' backups (steps 5 and 9) and SQL Server setup's logs (steps 2, 3
// and 9). Neither holds a secret.
func leftBehind(only []int) string {
	in := func(ids ...int) bool {
		if len(only) == 0 {
			return true
		}
		for _, id := range ids {
			if slices.Contains(only, id) {
				return true
			}
		}
		return false
	}
	var left []string
	if in(5, 9) {
		left = append(left, `the backups of MasterSettings.config and WorkerSettings.config made before each change (<file>.bak-<time>, beside the file)`)
	}
	if in(2, 3, 9) {
		left = append(left, `SQL Server setup's logs (Setup Bootstrap\Log under the SQL Server folder)`)
	}
	if len(left) == 0 {
		return ""
	}
	return "Left on the nodes on purpose: " + strings.Join(left, "; and ") + ". They hold no secret; remove them by hand once the change is closed."
}
