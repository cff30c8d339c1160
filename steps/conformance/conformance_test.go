// Package conformance checks every script ssisha sends against Microsoft's
// documentation: each cmdlet and each parameter it names, each stored procedure and
// its named parameters, and each setup.exe switch must be in testdata/catalog.json,
// the facts read from the official documentation repositories (see gen/main.go).
// The lab runs the scripts, but the lab only knows what ssisha's authors believed;
// this test asks the documentation instead.
package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// catalog is testdata/catalog.json, indexed for look-ups.
type catalog struct {
	Sources []struct {
		Repo, Commit, Root string
	} `json:"sources"`
	Cmdlets []struct {
		Name, Module, Repo, Commit, Doc string
		Parameters                      []string
		Aliases                         map[string][]string
		Sets                            map[string][]string
	} `json:"cmdlets"`
	Procedures []struct {
		Name, Repo, Commit, Doc string
		Parameters              []string
		UserParameters          bool
	} `json:"procedures"`
	Setup []struct {
		Repo, Commit, Doc string
		Switches          []string
	} `json:"setup"`
	Netsh []struct {
		Repo, Commit, Doc, Context string
		Commands                   map[string][]string
	} `json:"netsh"`

	cmdlets  map[string]map[string]string // cmdlet → parameter or alias → parameter
	sets     map[string][]map[string]bool // cmdlet → its parameter sets
	procs    map[string]map[string]bool   // procedure key → parameter
	userArgs map[string]bool              // procedures that take the caller's own parameters
	switches map[string]bool
	netsh    map[string]map[string]bool // "http add sslcert" → key
}

func loadCatalog(t *testing.T) *catalog {
	t.Helper()
	raw, err := os.ReadFile("testdata/catalog.json")
	if err != nil {
		t.Fatalf("reading the catalog: %v", err)
	}
	var c catalog
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("reading the catalog: %v", err)
	}
	sourced := func(name, doc, commit string) {
		if doc == "" || commit == "" {
			t.Fatalf("catalog entry %s names no document or commit", name)
		}
	}
	c.cmdlets, c.sets = map[string]map[string]string{}, map[string][]map[string]bool{}
	for _, x := range c.Cmdlets {
		sourced(x.Name, x.Doc, x.Commit)
		ps := map[string]string{}
		for _, p := range x.Parameters {
			ps[strings.ToLower(p)] = p
		}
		for p, as := range x.Aliases {
			for _, a := range as {
				ps[strings.ToLower(a)] = p
			}
		}
		c.cmdlets[strings.ToLower(x.Name)] = ps
		for _, set := range x.Sets {
			in := map[string]bool{}
			for _, p := range set {
				in[strings.ToLower(p)] = true
			}
			c.sets[strings.ToLower(x.Name)] = append(c.sets[strings.ToLower(x.Name)], in)
		}
	}
	c.procs, c.userArgs = map[string]map[string]bool{}, map[string]bool{}
	for _, x := range c.Procedures {
		sourced(x.Name, x.Doc, x.Commit)
		ps := map[string]bool{}
		for _, p := range x.Parameters {
			ps[strings.ToLower(p)] = true
		}
		c.procs[procKey(x.Name)] = ps
		c.userArgs[procKey(x.Name)] = x.UserParameters
	}
	c.switches = map[string]bool{}
	for _, x := range c.Setup {
		sourced(x.Doc, x.Doc, x.Commit)
		for _, s := range x.Switches {
			c.switches[strings.ToUpper(s)] = true
		}
	}
	c.netsh = map[string]map[string]bool{}
	for _, x := range c.Netsh {
		sourced(x.Doc, x.Doc, x.Commit)
		for cmd, keys := range x.Commands {
			in := map[string]bool{}
			for _, k := range keys {
				in[k] = true
			}
			c.netsh[x.Context+" "+cmd] = in
		}
	}
	return &c
}

// commonParameters are accepted by every cmdlet (about_CommonParameters, Windows
// PowerShell 5.1). WhatIf and Confirm are not here: only cmdlets that support
// ShouldProcess take them, and their pages list them.
var commonParameters = map[string]bool{
	"debug": true, "erroraction": true, "errorvariable": true, "informationaction": true,
	"informationvariable": true, "outbuffer": true, "outvariable": true,
	"pipelinevariable": true, "verbose": true, "warningaction": true, "warningvariable": true,
	// Their documented aliases.
	"db": true, "ea": true, "ev": true, "infa": true, "iv": true, "ob": true, "ov": true,
	"pv": true, "vb": true, "wa": true, "wv": true,
}

// nativeCommands are programs, not cmdlets, that scripts may run; each with why no
// cmdlet does the job on every supported Windows Server.
var nativeCommands = map[string]string{
	"netsh": "http.sys SSL bindings (netsh http add/delete/show sslcert) have no cmdlet in Windows PowerShell 5.1",
}

// finding is one name the documentation does not have.
type finding struct {
	Kind   string // cmdlet, parameter, command, procedure, procedure parameter, setup switch
	Name   string // the cmdlet, procedure or switch
	Param  string // the parameter, for the parameter kinds
	Origin string
	Line   int
	Hint   string
}

func (f finding) key() string { return f.Kind + " " + f.Name + " " + f.Param }

func (f finding) String() string {
	what := f.Name
	if f.Param != "" {
		what += " " + f.Param
	}
	where := f.Origin
	if f.Line > 0 {
		where += fmt.Sprintf(":%d", f.Line)
	}
	s := fmt.Sprintf("%s: unknown %s %s", where, f.Kind, what)
	if f.Hint != "" {
		s += " (" + f.Hint + ")"
	}
	return s
}

// expectedFailures are what today's scripts use and the documentation does not
// have, each with the evidence. They are bugs for the scripts' owners to fix, kept
// here so the test passes meanwhile without weakening the check; an entry that no
// longer occurs fails the test, so the list only shrinks.
var expectedFailures = map[string]string{
	"procedure catalog.enable_scaleout ": "no catalog-enable-scaleout page among the 60 files of docs/integration-services/system-stored-procedures in MicrosoftDocs/sql-docs; " +
		"the Scale Out walkthrough (docs/integration-services/scale-out/walkthrough-set-up-integration-services-scale-out.md @ 016100f9) enables a master only from the Create Catalog dialog or Scale Out Manager",
	"procedure catalog.delete_worker_agent ": "no catalog-delete-worker-agent page among the 60 files of docs/integration-services/system-stored-procedures in MicrosoftDocs/sql-docs; " +
		"the Scale Out Master page documents only enable_worker_agent and disable_worker_agent for managing workers",
	"procedure internal.cleanup_server_retention_window ": "the internal schema of SSISDB is not documented: docs/integration-services/system-stored-procedures in MicrosoftDocs/sql-docs documents catalog.* procedures only",
	"procedure internal.cleanup_server_project_version ": "the internal schema of SSISDB is not documented; the step is the second of the product's SSIS Server Maintenance Job " +
		"(docs/integration-services/catalog/ssis-catalog.md in MicrosoftDocs/sql-docs names the job and its two maintenance tasks, not the procedures)",
	"procedure internal.refresh_replica_status ": "the internal schema of SSISDB is not documented; the product's SSIS Failover Monitor Job calls it before catalog.startup " +
		"(docs/integration-services/catalog/ssis-catalog.md, section Always On for SSIS Catalog, in MicrosoftDocs/sql-docs describes the job, not its step)",
	"procedure xp_instance_regread ": "no page for it under docs/relational-databases/system-stored-procedures in MicrosoftDocs/sql-docs: an undocumented extended procedure",
}

// checker checks scripts against the catalog.
type checker struct {
	cat *catalog
	// functions are the names any Go fragment defines; fragments are parts of one
	// template and may call a function another part defines.
	fragmentFunctions map[string]bool
}

var setupSwitch = regexp.MustCompile(`(?:^|[\s"'(])/([A-Za-z][A-Za-z0-9_]*)`)

// check returns what a script uses that the catalog does not have, each finding
// naming the script.
func (c *checker) check(s script) []finding {
	var out []finding
	if s.Kind == kindTSQL {
		out = c.checkTSQL(s.Text)
	} else {
		ps := scanPowerShell(s.Text)
		out = c.checkPowerShell(ps, s.Fragment)
		out = append(out, c.checkSetup(ps.Strings)...)
		for _, str := range ps.Strings {
			if hasExec.MatchString(str) {
				out = append(out, c.checkTSQL(str)...)
			}
		}
	}
	for i := range out {
		out[i].Origin = s.Origin
	}
	return out
}

// checkPowerShell checks each command a script runs and the parameters it names.
func (c *checker) checkPowerShell(ps psScript, fragment bool) []finding {
	var out []finding
	for _, call := range ps.Calls {
		name := strings.ToLower(call.Name)
		if ps.Functions[name] || fragment && c.fragmentFunctions[name] {
			continue
		}
		if !strings.Contains(name, "-") {
			native := strings.TrimSuffix(name, ".exe")
			if _, ok := nativeCommands[native]; !ok {
				out = append(out, finding{Kind: "command", Name: call.Name, Line: call.Line, Hint: "not a cmdlet, a function of the script or an allowed program"})
			} else if native == "netsh" {
				out = append(out, c.checkNetsh(call)...)
			}
			continue
		}
		params, ok := c.cat.cmdlets[name]
		if !ok {
			out = append(out, finding{Kind: "cmdlet", Name: call.Name, Line: call.Line})
			continue
		}
		var named []string
		for _, p := range call.Params {
			lp := strings.ToLower(p)
			if commonParameters[lp] {
				continue
			}
			if full, ok := params[lp]; ok {
				named = append(named, full)
				continue
			}
			out = append(out, finding{Kind: "parameter", Name: call.Name, Param: "-" + p, Line: call.Line, Hint: prefixHint(lp, params)})
		}
		if !c.inOneSet(name, named) {
			out = append(out, finding{Kind: "parameter combination", Name: call.Name, Param: "-" + strings.Join(named, " -"), Line: call.Line, Hint: "no parameter set of the cmdlet has them all"})
		}
	}
	return out
}

// checkSetup checks the switches of a setup.exe command line: every /WORD in the
// strings of a script that holds one (a string with /ACTION=), since a command
// line is often built from several strings.
func (c *checker) checkSetup(strs []string) []finding {
	setup := false
	for _, str := range strs {
		setup = setup || strings.Contains(strings.ToUpper(str), "/ACTION=")
	}
	if !setup {
		return nil
	}
	var out []finding
	for _, str := range strs {
		for _, m := range setupSwitch.FindAllStringSubmatch(str, -1) {
			if !c.cat.switches[strings.ToUpper(m[1])] {
				out = append(out, finding{Kind: "setup switch", Name: "/" + m[1]})
			}
		}
	}
	return out
}

// checkTSQL checks each procedure a batch executes and the parameters it names.
func (c *checker) checkTSQL(text string) []finding {
	var out []finding
	for _, call := range scanTSQL(text) {
		if strings.Contains(call.Key, strings.ToLower(spliceTSQL)) {
			continue // a name the template splices in: its golden file shows it
		}
		params, ok := c.cat.procs[call.Key]
		if !ok {
			out = append(out, finding{Kind: "procedure", Name: call.Key, Line: call.Line})
			continue
		}
		if c.cat.userArgs[call.Key] {
			// sp_executesql: the names after @stmt and @params are the statement's own.
			continue
		}
		for _, p := range call.Params {
			if !params[strings.ToLower(p)] {
				out = append(out, finding{Kind: "procedure parameter", Name: call.Key, Param: "@" + p, Line: call.Line})
			}
		}
	}
	return out
}

// checkNetsh checks "netsh <context> <verb> <object> key=value …": the command must
// be documented, and so must every key it is given.
func (c *checker) checkNetsh(call psCall) []finding {
	if len(call.Args) < 3 || strings.HasPrefix(call.Args[0], "$") {
		return nil // a command assembled at run time; its golden file shows it
	}
	cmd := strings.ToLower(strings.Join(call.Args[:3], " "))
	keys, ok := c.cat.netsh[cmd]
	if !ok {
		return []finding{{Kind: "netsh command", Name: "netsh " + cmd, Line: call.Line}}
	}
	var out []finding
	for _, a := range call.Args[3:] {
		if k, ok := strings.CutSuffix(strings.ToLower(a), "="); ok && !keys[k] {
			out = append(out, finding{Kind: "netsh key", Name: "netsh " + cmd, Param: k + "=", Line: call.Line})
		}
	}
	return out
}

// inOneSet reports whether one parameter set of a cmdlet holds all the parameters a
// call names: PowerShell refuses a call whose parameters span two sets. A page with
// no syntax block says nothing, and passes.
func (c *checker) inOneSet(cmdlet string, named []string) bool {
	sets := c.cat.sets[cmdlet]
	if len(sets) == 0 {
		return true
	}
	for _, set := range sets {
		all := true
		for _, p := range named {
			if !set[strings.ToLower(p)] {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// prefixHint says which parameter an abbreviation stands for: PowerShell accepts a
// unique prefix, but ssisha's scripts spell parameters out.
func prefixHint(p string, params map[string]string) string {
	var full []string
	for k, v := range params {
		if strings.HasPrefix(k, p) {
			full = append(full, v)
		}
	}
	if len(full) == 0 {
		return ""
	}
	sort.Strings(full)
	return "an abbreviation of -" + strings.Join(full, " or -") + "; spell it out"
}

func allScripts(t *testing.T) (golden, fragments []script) {
	t.Helper()
	return goldenScripts(t), goFragments(t)
}

func newChecker(cat *catalog, fragments []script) *checker {
	c := &checker{cat: cat, fragmentFunctions: map[string]bool{}}
	for _, f := range fragments {
		if f.Kind == kindPowerShell {
			for name := range scanPowerShell(f.Text).Functions {
				c.fragmentFunctions[name] = true
			}
		}
	}
	return c
}

// TestScriptsConformToDocumentation is the check itself.
func TestScriptsConformToDocumentation(t *testing.T) {
	cat := loadCatalog(t)
	golden, fragments := allScripts(t)
	if len(golden) == 0 || len(fragments) == 0 {
		t.Fatalf("found %d golden scripts and %d template fragments: the extraction is broken", len(golden), len(fragments))
	}
	c := newChecker(cat, fragments)
	seen := map[string]bool{}
	for _, s := range append(golden, fragments...) {
		for _, f := range c.check(s) {
			if _, ok := expectedFailures[f.key()]; ok {
				seen[f.key()] = true
				continue
			}
			t.Errorf("%s", f)
		}
	}
	for k, evidence := range expectedFailures {
		if !seen[k] {
			t.Errorf("expected failure %q (%s) no longer occurs: remove it from expectedFailures", k, evidence)
		}
	}
}

// TestEveryGoldenScriptIsRead guards the extraction: every golden file yields
// scripts, and every PowerShell script yields at least one cmdlet, so a change of
// the golden format cannot make the conformance test pass by reading nothing.
func TestEveryGoldenScriptIsRead(t *testing.T) {
	golden, _ := allScripts(t)
	files := map[string]bool{}
	for _, s := range golden {
		files[strings.SplitN(s.Origin, " ", 2)[0]] = true
		if s.Kind == kindPowerShell && len(scanPowerShell(s.Text).Calls) == 0 {
			t.Errorf("%s: no command found in a PowerShell script", s.Origin)
		}
		if s.Kind == kindTSQL && strings.TrimSpace(s.Text) == "" {
			t.Errorf("%s: empty T-SQL script", s.Origin)
		}
	}
	entries, err := os.ReadDir("../testdata/golden")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !files[e.Name()] {
			t.Errorf("%s: no script read from this golden file", e.Name())
		}
	}
}

// TestTemplatesAreRead guards the Go side of the extraction: every operation a
// golden file shows is named in a Go file the walk reads, so templates that move out
// of the steps package are noticed rather than silently unread.
func TestTemplatesAreRead(t *testing.T) {
	_, literals := readGoLiterals(t)
	for _, s := range goldenScripts(t) {
		op := strings.Trim(strings.SplitN(s.Origin, " ", 2)[1], "()")
		if !literals[op] {
			t.Errorf("%s: operation %s is named in no Go file under steps/: widen goFragments' walk to where its template lives", s.Origin, op)
		}
	}
}
