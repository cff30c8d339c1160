package steps

// Where SQL Server setup put a version's Integration Services on a node. Setup's
// shared-features folder (INSTALLSHAREDDIR) may be on any drive, so the folder is read
// from the node's registry, never assumed under C:\Program Files.

import (
	"context"
	"fmt"

	"github.com/ssisha/ssisha/remote/script"
)

// psDTSBinn finds the DTS\Binn folder of a version folder (150) on the node, in the
// order a DBA checks it: the DTSPath setup records when it installs Integration
// Services; else VerSpecificRootDir, the version's folder under the shared-features
// folder, where setup will put it (the engine's setup records it); and only when the
// registry has neither, the default under %ProgramFiles%. A WinRM session is 64-bit,
// so these are the 64-bit registry view's values, the ones the 64-bit engine and
// services use (the 32-bit tools have their own under WOW6432Node).
const psDTSBinn = `function Get-SsishaDtsBinn {
    param([string]$Folder)
    $key = "HKLM:\SOFTWARE\Microsoft\Microsoft SQL Server\$Folder"
    $dts = (Get-ItemProperty -Path "$key\SSIS\Setup\DTSPath" -ErrorAction SilentlyContinue).'(default)'
    if ($dts) { return [pscustomobject]@{ path = (Join-Path $dts 'Binn'); source = 'DTSPath' } }
    $root = (Get-ItemProperty -Path $key -Name VerSpecificRootDir -ErrorAction SilentlyContinue).VerSpecificRootDir
    if ($root) { return [pscustomobject]@{ path = (Join-Path $root 'DTS\Binn'); source = 'VerSpecificRootDir' } }
    [pscustomobject]@{ path = (Join-Path $env:ProgramFiles "Microsoft SQL Server\$Folder\DTS\Binn"); source = 'default' }
}
`

// binnFromDefault is psDTSBinn's source when the registry names no folder (the others
// are DTSPath and VerSpecificRootDir).
const binnFromDefault = "default"

// dtsBinn is a version's DTS\Binn folder on a node and a file in it.
type dtsBinn struct {
	Path   string `json:"path"`
	Source string `json:"source"`
	File   string `json:"file"`
	Exists bool   `json:"exists"`
}

// psDTSBinnGet reads the DTS\Binn folder of a version folder on the node, and whether
// a file is in it.
func psDTSBinnGet(folder, file string) script.PowerShell {
	return psWinRead("is.binn.get", map[string]any{"folder": folder, "file": file}, psDTSBinn+`$b = Get-SsishaDtsBinn -Folder $p.folder
$f = Join-Path $b.path $p.file
$r = [pscustomobject]@{ path = $b.path; source = $b.source; file = $f; exists = (Test-Path -LiteralPath $f -PathType Leaf) }
`)
}

// readServerAssembly finds the Integration Services server assembly of env's version on
// host, the SQL Server node whose engine opens it. It is read there with PowerShell
// rather than with xp_regread through the engine: that procedure is undocumented, and
// the plan then shows the real path before anything runs. Without DTSPath or
// VerSpecificRootDir the default path is used only when the file is there.
func readServerAssembly(ctx context.Context, env *Env, host string) (string, error) {
	var b dtsBinn
	if err := env.PS(ctx, host, psDTSBinnGet(env.Version.Folder(), isServerAssembly), &b); err != nil {
		return "", fmt.Errorf("reading where Integration Services is installed on %s: %w", host, err)
	}
	if b.Source == binnFromDefault && !b.Exists {
		return "", &missingISError{
			Reason: fmt.Sprintf("%s has no Integration Services %s: its registry has neither ...\\%s\\SSIS\\Setup\\DTSPath nor VerSpecificRootDir, and %s does not exist",
				host, env.Version.Number(), env.Version.Folder(), b.File),
			Fix: "install Integration Services on " + host + " (steps 2 and 3 do, with the master), then run this step again"}
	}
	return b.File, nil
}

// missingISError says that a node has no Integration Services of the version where
// a step needs its files; a step reports it as blocked, with the fix.
type missingISError struct {
	Reason string
	Fix    string
}

func (e *missingISError) Error() string { return e.Reason + "; " + e.Fix }
