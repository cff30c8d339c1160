package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// grammarGaps are golden scripts that are valid PowerShell but that
// tree-sitter-powershell rejects, with why.
var grammarGaps = map[string]string{
	"step2-master.cert.bind.ps1": "netsh … appid='{…}': a quoted argument glued to key= is valid PowerShell; tree-sitter-powershell 0.26.4 does not parse it",
}

// TestGoldenPowerShellParsesWithTreeSitter parses every golden PowerShell script
// with a real PowerShell grammar. It needs Node.js and the grammar installed:
//
//	cd testdata/treesitter && npm ci
//
// and is skipped without them, so that the conformance test stays offline.
func TestGoldenPowerShellParsesWithTreeSitter(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat("testdata/treesitter/node_modules/tree-sitter-powershell"); err != nil {
		t.Skip("tree-sitter-powershell is not installed: cd testdata/treesitter && npm ci")
	}
	dir := t.TempDir()
	seen, written := map[string]int{}, 0
	for _, s := range goldenScripts(t) {
		if s.Kind != kindPowerShell {
			continue
		}
		file, op, _ := strings.Cut(s.Origin, " ")
		name := file
		if !strings.HasSuffix(file, ".ps1") {
			name = file + "." + strings.Trim(op, "()") + ".ps1"
		}
		if seen[name]++; seen[name] > 1 {
			name = fmt.Sprintf("%s.%d.ps1", strings.TrimSuffix(name, ".ps1"), seen[name])
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s.Text), 0o600); err != nil {
			t.Fatal(err)
		}
		written++
	}
	out, err := exec.Command(node, "testdata/treesitter/parse.mjs", dir).Output()
	if err != nil {
		t.Fatalf("running tree-sitter-powershell: %v", err)
	}
	var res struct {
		Parsed   int
		Rejected map[string]int
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("reading tree-sitter's result %q: %v", out, err)
	}
	if res.Parsed != written {
		t.Errorf("tree-sitter parsed %d scripts, want %d", res.Parsed, written)
	}
	for name, line := range res.Rejected {
		if _, ok := grammarGaps[name]; !ok {
			t.Errorf("%s:%d: tree-sitter-powershell rejects the script", name, line)
		}
	}
	for name, why := range grammarGaps {
		if _, ok := res.Rejected[name]; !ok {
			t.Errorf("%s parses now (%s): remove it from grammarGaps", name, why)
		}
	}
}
