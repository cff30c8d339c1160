package steps

import (
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote/script"
)

// The engine names the intent on the long scripts just before they run; the plan's
// scripts, and the scripts that leave no marker, stay as they were.
func TestWithInflightMarkerNamesTheIntentOnLongScriptsOnly(t *testing.T) {
	long := withInflightMarker(script.PowerShell{Op: "master.install", Params: map[string]any{"setupPath": `C:\SQLMedia\setup.exe`}, Body: "$r = 1\n" + psWinResultLine})
	short := psWinChange("win.firewall.add", map[string]any{"name": "x"}, "$r = 1\n", true)
	a := Action{ID: "install", Summary: "Install the master", Commands: []Command{PSCommand("node1", long), PSCommand("node1", short)}}
	marked := WithInflightMarker(a, InflightMarker{RunID: "20250301T120000Z-ab12", Step: 2, Action: "install"})

	m, ok := marked.Commands[0].PS.Params[inflightParam].(map[string]any)
	if !ok {
		t.Fatalf("the long script carries no marker: %v", marked.Commands[0].PS.Params)
	}
	if m["file"] != "20250301T120000Z-ab12-step2-install.json" || m["runId"] != "20250301T120000Z-ab12" || m["step"] != 2 || m["action"] != "install" || m["what"] != "Install the master" {
		t.Errorf("marker %v", m)
	}
	if _, ok := marked.Commands[1].PS.Params[inflightParam]; ok {
		t.Error("a script that writes no marker was given one")
	}
	if a.Commands[0].PS.Params[inflightParam] != nil {
		t.Error("marking changed the plan's script")
	}
	text := marked.Commands[0].PS.Render()
	if !strings.Contains(text, inflightMarkerLine) || !strings.HasSuffix(text, "} finally {\n    if ($inflightFile) { Remove-Item -LiteralPath $inflightFile -Force -ErrorAction SilentlyContinue }\n}\n"+psWinResultLine) {
		t.Errorf("the long script does not write and remove its marker around its work, its result last:\n%s", text)
	}
	if op, params, err := script.ParsePowerShell(text); err != nil || op != "master.install" || params[inflightParam] == nil {
		t.Errorf("the marked script does not parse back with its marker: %v %v", err, params)
	}
}

func TestInflightFileKeepsToSafeCharacters(t *testing.T) {
	if got := InflightFile(`run 1\..`, 3, "a/b"); got != "run_1_..-step3-a_b.json" {
		t.Errorf("InflightFile = %q", got)
	}
}
