package steps

// The raw facts of every node, as the steps read them, for `ssisha facts`: what a
// DBA checks first on a real test cluster and attaches to a support request. Only
// reads; secrets are never among them (passwords are not read from anywhere).

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ssisha/ssisha/remote/script"
)

// settingsHeadLines is how many lines of each settings file the facts show: enough
// to see its format (XML or JSON) and first values.
const settingsHeadLines = 8

// NodeFacts is what ssisha reads on one node, by section (node, sqlServer, master,
// settingsFile, certificates, availabilityGroup, cluster, worker).
type NodeFacts struct {
	Host  string         `json:"host"`
	Role  string         `json:"role"`
	Facts map[string]any `json:"facts"`
	// NotRead names each section that could not be read, with why.
	NotRead map[string]string `json:"notRead,omitempty"`
}

// fileHead is one file's first lines, as win.file.head reports them.
type fileHead struct {
	Path  string   `json:"path"`
	Found bool     `json:"found"`
	Lines []string `json:"lines"`
}

// ReadFacts reads the facts of every master node and worker, in answer order. A
// section that cannot be read is named in NotRead; the others are still read.
func ReadFacts(ctx context.Context, env *Env) []NodeFacts {
	var out []NodeFacts
	dnsName := env.Answers.MasterService.DNSName
	for _, host := range env.Answers.MasterHosts() {
		nf := NodeFacts{Host: host, Role: "master", Facts: map[string]any{}, NotRead: map[string]string{}}
		nf.read(env, "node", func() (any, error) {
			f, fail := preflightFacts(ctx, env, "", Target{Host: host})
			return f, failErr(fail)
		})
		nf.read(env, "sqlServer", func() (any, error) { return readServerFacts(ctx, env, host) })
		nf.read(env, "master", func() (any, error) { return readMasterNode(ctx, env, host) })
		nf.read(env, "settingsFile", func() (any, error) { return readFileHead(ctx, env, host, env.Version.MasterSettingsPath()) })
		nf.read(env, "certificates", func() (any, error) { return readMasterCerts(ctx, env, host, "", dnsName) })
		nf.read(env, "availabilityGroup", func() (any, error) { return readReplicaFacts(ctx, env, host) })
		nf.read(env, "cluster", func() (any, error) { return readWSFC(ctx, env, host) })
		out = append(out, nf.done())
	}
	for _, w := range env.Answers.Workers {
		host := w.Host
		nf := NodeFacts{Host: host, Role: "worker", Facts: map[string]any{}, NotRead: map[string]string{}}
		nf.read(env, "node", func() (any, error) {
			f, fail := preflightFacts(ctx, env, "", Target{Host: host})
			return f, failErr(fail)
		})
		nf.read(env, "worker", func() (any, error) { return readWorkerFacts(ctx, env, host, "") })
		nf.read(env, "settingsFile", func() (any, error) { return readFileHead(ctx, env, host, env.Version.WorkerSettingsPath()) })
		out = append(out, nf.done())
	}
	return out
}

// read stores one section's facts as plain JSON values, or why it was not read.
func (nf *NodeFacts) read(env *Env, section string, fn func() (any, error)) {
	v, err := fn()
	if err != nil {
		nf.NotRead[section] = env.Redactor.Redact(err.Error())
		return
	}
	data, err := json.Marshal(v)
	if err != nil {
		nf.NotRead[section] = err.Error()
		return
	}
	var plain any
	_ = json.Unmarshal([]byte(env.Redactor.Redact(string(data))), &plain)
	nf.Facts[section] = plain
}

func (nf NodeFacts) done() NodeFacts {
	if len(nf.NotRead) == 0 {
		nf.NotRead = nil
	}
	return nf
}

// failErr is the detail of a failed preflight read as an error.
func failErr(fail *Check) error {
	if fail == nil {
		return nil
	}
	return fmt.Errorf("%s", fail.Detail)
}

func readFileHead(ctx context.Context, env *Env, host, path string) (fileHead, error) {
	var res struct {
		Files []fileHead `json:"files"`
	}
	if err := env.PS(ctx, host, psFileHead([]string{path}, settingsHeadLines), &res); err != nil {
		return fileHead{}, err
	}
	if len(res.Files) != 1 {
		return fileHead{}, fmt.Errorf("%s: win.file.head returned %d files for one", host, len(res.Files))
	}
	return res.Files[0], nil
}

func psFileHead(paths []string, lines int) script.PowerShell {
	return psWinRead("win.file.head", map[string]any{"paths": paths, "lines": lines}, `$out = foreach ($path in @($p.paths)) {
    $found = Test-Path -LiteralPath $path -PathType Leaf
    $lines = @()
    if ($found) { $lines = @(Get-Content -LiteralPath $path -TotalCount $p.lines) }
    [pscustomobject]@{ path = $path; found = $found; lines = $lines }
}
$r = [pscustomobject]@{ files = @($out) }
`)
}
