package estate

import "strings"

// The first lines of files, as Get-Content -TotalCount reads them: what `ssisha
// facts` shows of the settings files.

func factsOps(t *Operations) {
	t.AddPS("win.file.head", winFileHead)
}

func winFileHead(c *OpContext, p Params) (any, error) {
	n := p.Int("lines")
	out := []map[string]any{}
	for _, path := range p.Strings("paths") {
		content, found := c.Node.File(path)
		lines := []string{}
		if found {
			all := strings.Split(strings.ReplaceAll(strings.TrimPrefix(content, "\ufeff"), "\r\n", "\n"), "\n")
			if len(all) > 0 && all[len(all)-1] == "" {
				all = all[:len(all)-1]
			}
			lines = all[:min(n, len(all))]
		}
		out = append(out, map[string]any{"path": path, "found": found, "lines": lines})
	}
	return map[string]any{"files": out}, nil
}
