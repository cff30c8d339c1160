package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/steps"
)

// completeStepsFlags gives every command's --steps flag the step numbers as shell
// completions, with each step's title; cobra's completion command (bash, zsh, fish,
// powershell) asks for them through its hidden __complete command.
func completeStepsFlags(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.Flags().Lookup("steps") != nil {
			_ = c.RegisterFlagCompletionFunc("steps", completeSteps)
		}
		completeStepsFlags(c)
	}
}

// completeSteps offers each step after what is already typed, so 5,<Tab> offers 5,6
// and the others.
func completeSteps(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	prefix := ""
	if i := strings.LastIndexAny(toComplete, ",-"); i >= 0 {
		prefix = toComplete[:i+1]
	}
	var out []string
	for _, s := range steps.All() {
		out = append(out, fmt.Sprintf("%s%d\t%s", prefix, s.ID(), s.Title()))
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}
