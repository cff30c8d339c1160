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

// fileHead is one file's first lines, as settings.head reports them.
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
		nf.read(env, "settingsFile", func() (any, error) {
			return readSettingsHead(ctx, env, host, env.Version.MasterService(), "MasterSettings.config")
		})
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
		nf.read(env, "settingsFile", func() (any, error) {
			return readSettingsHead(ctx, env, host, env.Version.WorkerService(), "WorkerSettings.config")
		})
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

// readSettingsHead reads the first lines of a settings file where the node keeps it:
// next to the service's executable, else in the DTS\Binn folder its registry names
// (the shared features may be on another drive than C:).
func readSettingsHead(ctx context.Context, env *Env, host, service, file string) (fileHead, error) {
	var f fileHead
	if err := env.PS(ctx, host, psSettingsHead(service, file, env.Version.Folder(), settingsHeadLines), &f); err != nil {
		return fileHead{}, err
	}
	return f, nil
}

func psSettingsHead(service, file, folder string, lines int) script.PowerShell {
	return psWinRead("settings.head", map[string]any{"service": service, "file": file, "folder": folder, "lines": lines},
		psFindSettings+"\n"+psDTSBinn+`$path = Find-Settings $p.service $p.file (Join-Path (Get-SsishaDtsBinn -Folder $p.folder).path $p.file)
$found = Test-Path -LiteralPath $path -PathType Leaf
$lines = @()
if ($found) { $lines = @(Get-Content -LiteralPath $path -TotalCount $p.lines) }
$r = [pscustomobject]@{ path = $path; found = $found; lines = $lines }
`)
}
