package cli

import (
	"bufio"
	"fmt"
	"strings"
)

// confirm asks a yes/no question. Without a terminal it refuses unless --yes was
// given, so that automation never changes an estate by accident (exit 3).
func (a *app) confirm(yes bool, question string) error {
	if yes {
		return nil
	}
	if !a.isTerminal() {
		return aborted("%s: refusing without confirmation; pass --yes to run without asking", question)
	}
	fmt.Fprintf(a.errOut, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return aborted("not confirmed; nothing was changed")
}
