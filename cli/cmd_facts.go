package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ssisha/ssisha/steps"
)

func (a *app) factsCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "facts -f answers.yaml [--output json]",
		Short: "Show the raw facts ssisha reads on every node (read-only)",
		Long: `facts reads, on every master node and worker, what the steps detect and shows it raw:
versions, services and their accounts, the first lines of each settings file, the
http.sys binding, certificates by thumbprint and names, and the availability group,
endpoint and cluster state. It changes nothing. Run it first on a new cluster to see
what ssisha sees, and attach its --output json to a support request: it holds no
secret. A section that could not be read is named with the reason (exit 1).`,
		Args: a.noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, _, err := a.openRun(cmd.Context(), f, nil)
			if err != nil {
				return err
			}
			defer s.Close()
			nodes, err := s.Facts(cmd.Context(), s.ans, s.sec)
			if err != nil {
				return failed(s.Redact(err))
			}
			var text strings.Builder
			if f.output == "json" {
				enc := json.NewEncoder(&text)
				enc.SetIndent("", "  ")
				if err := enc.Encode(nodes); err != nil {
					return err
				}
			} else {
				printFacts(&text, nodes)
			}
			// The facts hold no secret; the redactor is the guard should a node echo one.
			fmt.Fprint(a.out, s.RedactText(text.String()))
			missing := 0
			for _, n := range nodes {
				missing += len(n.NotRead)
			}
			if missing > 0 {
				return failed(fmt.Errorf("%d section(s) could not be read; each says why above", missing))
			}
			return nil
		},
	}
	f.register(cmd, "", "text or json")
	return cmd
}

// printFacts writes each node's sections as "section.key: value" lines, sorted.
func printFacts(w io.Writer, nodes []steps.NodeFacts) {
	for i, n := range nodes {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s)\n", n.Host, n.Role)
		var lines []string
		for section, v := range n.Facts {
			lines = flattenFacts(lines, section, v)
		}
		for section, why := range n.NotRead {
			lines = append(lines, fmt.Sprintf("%s: not read: %s", section, why))
		}
		sort.Strings(lines)
		for _, l := range lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

func flattenFacts(lines []string, prefix string, v any) []string {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return append(lines, prefix+": (none)")
		}
		for k, child := range x {
			lines = flattenFacts(lines, prefix+"."+k, child)
		}
		return lines
	case []any:
		if len(x) == 0 {
			return append(lines, prefix+": (none)")
		}
		if allScalars(x) {
			parts := make([]string, len(x))
			for i, e := range x {
				parts[i] = fmt.Sprint(e)
			}
			if strings.HasSuffix(prefix, ".lines") {
				return append(lines, prefix+":\n      | "+strings.Join(parts, "\n      | "))
			}
			return append(lines, prefix+": "+strings.Join(parts, ", "))
		}
		for i, e := range x {
			lines = flattenFacts(lines, fmt.Sprintf("%s[%d]", prefix, i), e)
		}
		return lines
	case nil:
		return append(lines, prefix+": (null)")
	}
	return append(lines, fmt.Sprintf("%s: %v", prefix, v))
}

func allScalars(xs []any) bool {
	for _, x := range xs {
		switch x.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}
