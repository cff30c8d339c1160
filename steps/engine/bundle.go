package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/steps"
)

// Manifest lists every script of a bundle with its hash, so a reviewer or a change
// board can confirm that what they approved is what was planned.
type Manifest struct {
	Fingerprint string         `json:"fingerprint"`
	Created     time.Time      `json:"created"`
	Files       []ManifestFile `json:"files"`
}

// ManifestFile is one script in the bundle.
type ManifestFile struct {
	Path   string `json:"path"` // slash-separated, relative to the bundle
	SHA256 string `json:"sha256"`
	Step   int    `json:"step"`
	Target string `json:"target"` // the step's target
	Host   string `json:"host"`   // where the command runs (a node, or the listener)
	Action string `json:"action"`
	Op     string `json:"op"`
	// Placeholders are the values the script holds that are known only after apply
	// ("<after apply: master certificate thumbprint>"): apply fills them in when the
	// step's turn comes, and the run is compared with this script around them.
	Placeholders []string `json:"placeholders,omitempty"`
}

// PlanScript is one command of a plan as the bundle files it.
type PlanScript struct {
	ManifestFile
	Text string // displayed, redacted: secrets only as placeholders
}

// Scripts lists every command of the plan in run order (step by step, each target's
// actions in order), each with the bundle path it is written to: a folder per node
// where it runs, numbered in the order nodes first appear, and a file name carrying
// the step and the command's place in that step on that node, for example
// 01-node1.contoso.com/step2-01-install-master.ps1.
func (e *Engine) Scripts(p *Plan) []PlanScript {
	var out []PlanScript
	nodeDirs := map[string]string{}
	seq := map[string]int{} // per node and step
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			for _, a := range t.Detection.Actions {
				for ci, c := range a.Commands {
					host := c.Host
					if host == "" {
						host = t.Target.Host
					}
					node := strings.ToLower(host)
					nd, ok := nodeDirs[node]
					if !ok {
						nd = fmt.Sprintf("%02d-%s", len(nodeDirs)+1, slug(nodeName(host)))
						nodeDirs[node] = nd
					}
					key := fmt.Sprintf("%s %d", node, s.ID)
					seq[key]++
					name := slug(a.ID)
					if len(a.Commands) > 1 {
						name = fmt.Sprintf("%s-%d", name, ci+1)
					}
					ext := ".ps1"
					if c.SQL != nil {
						ext = ".sql"
					}
					text := e.redact(c.Display())
					sum := sha256.Sum256([]byte(text))
					out = append(out, PlanScript{Text: text, ManifestFile: ManifestFile{
						Path: fmt.Sprintf("%s/step%d-%02d-%s%s", nd, s.ID, seq[key], name, ext), SHA256: hex.EncodeToString(sum[:]),
						Step: s.ID, Target: t.Target.Host, Host: host, Action: a.ID, Op: c.Op(), Placeholders: steps.Placeholders(text)}})
				}
			}
		}
	}
	return out
}

// WriteBundle writes the plan as a reviewable folder: README.md, manifest.json, and
// one file per command under a folder per node in run order, for example
// 01-node1.contoso.com/step2-01-install-master.ps1. Scripts are written as displayed,
// so secrets appear only as placeholders. dir must be new or empty, so that no stale
// script sits beside the ones the manifest lists.
func (e *Engine) WriteBundle(p *Plan, dir string) error {
	if p == nil {
		return errors.New("there is no plan to write; run the plan first")
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("cannot write the plan bundle to %s: the folder is not empty; choose a new or empty folder with --out", dir)
	}
	if err := MkdirPrivate(dir); err != nil {
		return fmt.Errorf("cannot create the plan bundle folder %s: %w", dir, err)
	}
	man := Manifest{Fingerprint: p.Fingerprint, Created: p.Created}
	var blocked []string
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			switch {
			case t.Err != "":
				blocked = append(blocked, fmt.Sprintf("step %d on %s: detection failed: %s", s.ID, t.Target.Host, e.redact(t.Err)))
			case t.WaitsFor != "" && len(t.Detection.Actions) == 0:
				blocked = append(blocked, fmt.Sprintf("step %d on %s: waits for %s", s.ID, t.Target.Host, t.WaitsFor))
			case t.Detection.Reason != "" && len(t.Detection.Actions) == 0:
				blocked = append(blocked, fmt.Sprintf("step %d on %s: %s: %s", s.ID, t.Target.Host, t.Detection.State, e.redact(t.Detection.Reason)))
			}
		}
	}
	for _, sc := range e.Scripts(p) {
		if err := writeBundleFile(dir, sc.Path, sc.Text); err != nil {
			return err
		}
		man.Files = append(man.Files, sc.ManifestFile)
	}
	var mj strings.Builder
	enc := json.NewEncoder(&mj)
	enc.SetIndent("", "  ")
	// The placeholders read as the scripts show them: <after apply: …>, not \u003c.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(man); err != nil {
		return fmt.Errorf("cannot encode the bundle manifest: %w", err)
	}
	if err := writeBundleFile(dir, "manifest.json", e.redact(mj.String())); err != nil {
		return err
	}
	return writeBundleFile(dir, "README.md", e.redact(bundleReadme(p, man, blocked)))
}

func bundleReadme(p *Plan, man Manifest, blocked []string) string {
	var b strings.Builder
	b.WriteString("# ssisha plan bundle\n\n")
	b.WriteString("These are the PowerShell scripts and T-SQL batches `ssisha apply` would run, one file per command,\n")
	b.WriteString("in a folder per node, numbered in run order. Passwords and keys appear only as\n")
	b.WriteString("placeholders such as `<secret:name>`; the values are supplied at run time and never written here.\n")
	b.WriteString("Values that exist only once earlier actions have run (a certificate thumbprint, a SID) appear as\n")
	b.WriteString("`<after apply: name>`: apply detects each step again when its turn comes and fills them in, and\n")
	b.WriteString("`manifest.json` lists them per file.\n\n")
	fmt.Fprintf(&b, "Plan fingerprint: `%s`  \nCreated: %s\n\n", p.Fingerprint, p.Created.UTC().Format(time.RFC3339))
	b.WriteString("`manifest.json` lists every file with its SHA-256, step, target, action and operation.\n")
	b.WriteString("Apply refuses to run when the estate no longer matches this fingerprint; plan again in that case.\n\n")
	b.WriteString("## Steps\n\n| Step | Title | Target | State | Actions |\n|---|---|---|---|---|\n")
	for _, s := range p.Steps {
		for _, t := range s.Targets {
			state := string(t.Detection.State)
			if t.Err != "" {
				state = "error"
			}
			var acts []string
			for _, a := range t.Detection.Actions {
				line := a.Summary
				if a.Irreversible != "" {
					line += " (cannot be undone: " + a.Irreversible + ")"
				}
				acts = append(acts, line)
			}
			fmt.Fprintf(&b, "| %d | %s | %s | %s | %s |\n", s.ID, mdCell(s.Title), mdCell(t.Target.Host), state, mdCell(strings.Join(acts, "; ")))
		}
	}
	if len(blocked) > 0 {
		b.WriteString("\n## Needs attention\n\n")
		for _, l := range blocked {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	withPlaceholders := 0
	for _, f := range man.Files {
		if len(f.Placeholders) > 0 {
			withPlaceholders++
		}
	}
	fmt.Fprintf(&b, "\n%d script files, %d of them with values known only after apply.\n", len(man.Files), withPlaceholders)
	return b.String()
}

func writeBundleFile(dir, rel, text string) error {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := MkdirPrivate(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cannot create %s in the plan bundle: %w", filepath.Dir(path), err)
	}
	if err := WritePrivateFile(path, []byte(text)); err != nil {
		return fmt.Errorf("cannot write %s in the plan bundle: %w", path, err)
	}
	return nil
}

// nodeName names the listener's folder in words rather than its marker.
func nodeName(host string) string {
	if host == remote.Listener {
		return "listener"
	}
	return host
}

// slug keeps a name safe as a file name on every system.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	out := strings.Trim(b.String(), ".-")
	if out == "" {
		return "x"
	}
	return out
}
