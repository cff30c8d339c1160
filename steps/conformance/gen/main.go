//go:build ignore

// Command gen builds testdata/catalog.json, the facts the conformance test checks
// every script against, from local checkouts of Microsoft's documentation:
//
//	go run gen/main.go -winps DIR -psdocs DIR [-sqldocs DIR]
//
// where DIR is a git directory (bare or not) of MicrosoftDocs/windows-powershell-docs
// and of MicrosoftDocs/PowerShell-Docs. Only facts are kept: each cmdlet's name,
// module, parameter names, aliases and parameter sets, with the file and commit they
// came from. Entries read from single files of the SQL Server and Windows Server
// documentation are in testdata/catalog-files.json and are copied in as they are;
// with -sqldocs (a checkout of MicrosoftDocs/sql-docs) the procedure and setup pages
// it names are read again and the file is rewritten first.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Cmdlet is one cmdlet's documented parameters.
type Cmdlet struct {
	Name       string              `json:"name"`
	Module     string              `json:"module"`
	Repo       string              `json:"repo"`
	Commit     string              `json:"commit"`
	Doc        string              `json:"doc"`
	Parameters []string            `json:"parameters"`
	Aliases    map[string][]string `json:"aliases,omitempty"`
	Sets       map[string][]string `json:"sets,omitempty"`
}

// Procedure is one stored procedure's documented parameters.
type Procedure struct {
	Name           string   `json:"name"`
	Repo           string   `json:"repo"`
	Commit         string   `json:"commit"`
	Doc            string   `json:"doc"`
	Parameters     []string `json:"parameters"`
	UserParameters bool     `json:"userParameters,omitempty"`
}

// SetupSwitches are the setup.exe switches one page documents.
type SetupSwitches struct {
	Repo     string   `json:"repo"`
	Commit   string   `json:"commit"`
	Doc      string   `json:"doc"`
	Switches []string `json:"switches"`
}

// NetshContext is one netsh context's commands and the keys each takes.
type NetshContext struct {
	Repo     string              `json:"repo"`
	Commit   string              `json:"commit"`
	Doc      string              `json:"doc"`
	Context  string              `json:"context"`
	Commands map[string][]string `json:"commands"`
}

// Source names a documentation tree the catalog was read from.
type Source struct {
	Repo   string `json:"repo"`
	Commit string `json:"commit"`
	Root   string `json:"root"`
}

// Catalog is the file the test reads.
type Catalog struct {
	Sources    []Source        `json:"sources"`
	Cmdlets    []Cmdlet        `json:"cmdlets"`
	Procedures []Procedure     `json:"procedures"`
	Setup      []SetupSwitches `json:"setup"`
	Netsh      []NetshContext  `json:"netsh"`
}

// singleFiles is testdata/catalog-files.json: facts read from single files of
// repositories too large to check out.
type singleFiles struct {
	Note       string          `json:"note"`
	Cmdlets    []Cmdlet        `json:"cmdlets"`
	Procedures []Procedure     `json:"procedures"`
	Setup      []SetupSwitches `json:"setup"`
	Netsh      []NetshContext  `json:"netsh"`
}

// The modules whose cmdlets Windows Server and Windows PowerShell 5.1 bring, and
// which ssisha's scripts may call. Whole modules are kept so that a new call to a
// cmdlet of the same module needs no regeneration.
var (
	winModules  = []string{"FailoverClusters", "pki", "NetSecurity", "ScheduledTasks", "ServerManager", "DnsClient", "DnsServer", "NetTCPIP", "ActiveDirectory"}
	coreModules = []string{"Microsoft.PowerShell.Core", "Microsoft.PowerShell.Management", "Microsoft.PowerShell.Utility", "Microsoft.PowerShell.Security", "CimCmdlets"}
)

func main() {
	winps := flag.String("winps", "", "git directory of MicrosoftDocs/windows-powershell-docs")
	psdocs := flag.String("psdocs", "", "git directory of MicrosoftDocs/PowerShell-Docs")
	docset := flag.String("docset", "docset/winserver2022-ps", "Windows Server docset folder")
	psref := flag.String("psref", "reference/5.1", "PowerShell reference folder (the version WinRM runs)")
	files := flag.String("files", "testdata/catalog-files.json", "facts read from single documentation files")
	sqldocs := flag.String("sqldocs", "", "optional git directory of MicrosoftDocs/sql-docs: re-reads the procedure and setup pages catalog-files.json names")
	out := flag.String("o", "testdata/catalog.json", "output file")
	flag.Parse()
	if *winps == "" || *psdocs == "" {
		fmt.Fprintln(os.Stderr, "usage: go run gen/main.go -winps DIR -psdocs DIR")
		os.Exit(2)
	}
	var cat Catalog
	for _, tree := range []struct {
		dir, repo, root string
		modules         []string
	}{
		{*winps, "MicrosoftDocs/windows-powershell-docs", *docset, winModules},
		{*psdocs, "MicrosoftDocs/PowerShell-Docs", *psref, coreModules},
	} {
		commit := strings.TrimSpace(gitOut(tree.dir, "rev-parse", "HEAD"))
		cat.Sources = append(cat.Sources, Source{Repo: tree.repo, Commit: commit, Root: tree.root})
		for _, m := range tree.modules {
			folder := path.Join(tree.root, m)
			for _, f := range strings.Fields(gitOut(tree.dir, "ls-tree", "--name-only", commit, folder+"/")) {
				if !strings.HasSuffix(f, ".md") || strings.EqualFold(path.Base(f), m+".md") || strings.HasPrefix(path.Base(f), "about_") {
					continue
				}
				c, ok := parseCmdlet([]byte(gitOut(tree.dir, "show", commit+":"+f)))
				if !ok {
					continue
				}
				c.Module, c.Repo, c.Commit, c.Doc = m, tree.repo, commit, f
				cat.Cmdlets = append(cat.Cmdlets, c)
			}
		}
	}
	raw, err := os.ReadFile(*files)
	check(err)
	var s singleFiles
	check(json.Unmarshal(raw, &s))
	if *sqldocs != "" {
		refreshSQLDocs(*sqldocs, &s)
		out, err := json.MarshalIndent(s, "", "  ")
		check(err)
		check(os.WriteFile(*files, append(out, '\n'), 0o644))
	}
	cat.Cmdlets = append(cat.Cmdlets, s.Cmdlets...)
	cat.Procedures, cat.Setup, cat.Netsh = s.Procedures, s.Setup, s.Netsh
	sort.Slice(cat.Cmdlets, func(i, j int) bool { return cat.Cmdlets[i].Name < cat.Cmdlets[j].Name })
	check(os.WriteFile(*out, encode(cat), 0o644))
	fmt.Printf("%d cmdlets, %d procedures, %d setup pages, %d netsh contexts\n", len(cat.Cmdlets), len(cat.Procedures), len(cat.Setup), len(cat.Netsh))
}

var (
	titleLine   = regexp.MustCompile(`(?m)^title:\s*(\S+)\s*$`)
	headingLine = regexp.MustCompile(`(?m)^#\s+([A-Za-z]+-[A-Za-z0-9]+)\s*$`)
	syntaxParam = regexp.MustCompile(`(?:^|[\s\[])-([A-Za-z][A-Za-z0-9]*)\b`)
)

// parseCmdlet reads a platyPS help page: parameters from the "### -Name" headings of
// PARAMETERS and from every syntax block, aliases from each parameter's yaml block,
// and one parameter set per syntax block.
func parseCmdlet(md []byte) (Cmdlet, bool) {
	var c Cmdlet
	if m := headingLine.FindSubmatch(md); m != nil {
		c.Name = string(m[1])
	} else if m := titleLine.FindSubmatch(md); m != nil {
		c.Name = string(m[1])
	}
	if !strings.Contains(c.Name, "-") {
		return c, false
	}
	params := map[string]bool{}
	c.Aliases = map[string][]string{}
	c.Sets = map[string][]string{}
	section, setName, current := "", "", ""
	inFence, fenceIsSyntax := false, false
	var block []string
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if strings.HasPrefix(line, "```") {
			if !inFence {
				inFence, fenceIsSyntax, block = true, section == "SYNTAX", nil
				continue
			}
			inFence = false
			if fenceIsSyntax {
				name := setName
				if name == "" {
					name = "Default"
				}
				var set []string
				for _, m := range syntaxParam.FindAllStringSubmatch(strings.Join(block, " "), -1) {
					set = append(set, m[1])
					params[m[1]] = true
				}
				c.Sets[name] = dedupe(set)
				setName = ""
			}
			continue
		}
		if inFence {
			block = append(block, line)
			if section == "PARAMETERS" && current != "" && strings.HasPrefix(line, "Aliases:") {
				for _, a := range strings.Split(strings.TrimPrefix(line, "Aliases:"), ",") {
					if a = strings.TrimSpace(a); a != "" {
						c.Aliases[current] = append(c.Aliases[current], a)
					}
				}
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "## "):
			section = strings.ToUpper(strings.TrimSpace(line[3:]))
			current = ""
		case strings.HasPrefix(line, "### ") && section == "SYNTAX":
			setName = strings.TrimSuffix(strings.TrimSpace(line[4:]), " (Default)")
		case strings.HasPrefix(line, "### -") && section == "PARAMETERS":
			current = strings.TrimSpace(line[5:])
			params[current] = true
		}
	}
	for p := range params {
		c.Parameters = append(c.Parameters, p)
	}
	sort.Strings(c.Parameters)
	if len(c.Aliases) == 0 {
		c.Aliases = nil
	}
	return c, true
}

func dedupe(xs []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// refreshSQLDocs re-reads, from a checkout of MicrosoftDocs/sql-docs, the pages the
// single-file facts name: each procedure's parameters and each page's setup switches,
// with the checkout's commit.
func refreshSQLDocs(dir string, s *singleFiles) {
	const repo = "MicrosoftDocs/sql-docs"
	commit := strings.TrimSpace(gitOut(dir, "rev-parse", "HEAD"))
	for i, p := range s.Procedures {
		if p.Repo != repo {
			continue
		}
		params := procedureParameters(gitOut(dir, "show", commit+":"+p.Doc))
		if len(params) == 0 && len(p.Parameters) > 0 {
			fmt.Fprintf(os.Stderr, "gen: no parameters read from %s; kept the old ones\n", p.Doc)
			continue
		}
		s.Procedures[i].Parameters, s.Procedures[i].Commit = params, commit
	}
	for i, x := range s.Setup {
		if x.Repo != repo {
			continue
		}
		s.Setup[i].Switches, s.Setup[i].Commit = setupSwitches(gitOut(dir, "show", commit+":"+x.Doc)), commit
	}
}

var (
	namedParam    = regexp.MustCompile(`@(\w+)\s*=`)
	argumentLine  = regexp.MustCompile(`^[\s#>` + "`" + `\[*]*@(\w+)`)
	switchInCell  = regexp.MustCompile(`(?:^|[\s*>])/([A-Za-z][A-Za-z0-9_]*)`)
	quotedSwitch  = regexp.MustCompile("`" + `/([A-Za-z][A-Za-z0-9_]*)`)
	sectionHeader = regexp.MustCompile(`^##\s+(\S.*)$`)
)

// procedureParameters reads a procedure page: the "@name =" of its Syntax blocks,
// and the "@name" that starts an entry of its Arguments section.
func procedureParameters(md string) []string {
	out := []string{}
	seen := map[string]bool{}
	addParam := func(p string) {
		if !seen[strings.ToLower(p)] {
			seen[strings.ToLower(p)] = true
			out = append(out, p)
		}
	}
	section := ""
	inFence := false
	for _, line := range strings.Split(md, "\n") {
		line = strings.TrimRight(line, " \t\r")
		if m := sectionHeader.FindStringSubmatch(line); m != nil && !inFence {
			section = strings.ToLower(strings.TrimSpace(m[1]))
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			inFence = !inFence
			continue
		}
		switch {
		case section == "syntax" && inFence:
			for _, m := range namedParam.FindAllStringSubmatch(line, -1) {
				addParam(m[1])
			}
		case section == "arguments" && !inFence:
			clean := strings.ReplaceAll(line, "\\@", "@")
			if m := argumentLine.FindStringSubmatch(clean); m != nil {
				addParam(m[1])
			}
		}
	}
	return out
}

// setupSwitches reads the switches of a setup page: every /NAME that starts a cell of
// a table row, and every /NAME in backquotes.
func setupSwitches(md string) []string {
	var out []string
	seen := map[string]bool{}
	addSwitch := func(sw string) {
		up := strings.ToUpper(sw)
		if !seen[up] {
			seen[up] = true
			out = append(out, up)
		}
	}
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "|") {
			for _, cell := range strings.Split(line, "|") {
				cell = strings.TrimLeft(strings.TrimSpace(cell), "*")
				if !strings.HasPrefix(cell, "/") {
					continue
				}
				for _, part := range strings.Split(cell, "<br") {
					for _, m := range switchInCell.FindAllStringSubmatch(" "+strings.TrimSpace(part), -1) {
						addSwitch(m[1])
					}
				}
			}
		}
		for _, m := range quotedSwitch.FindAllStringSubmatch(line, -1) {
			addSwitch(m[1])
		}
	}
	sort.Strings(out)
	return out
}

// encode writes one entry a line, so that a regeneration's diff shows which facts
// changed.
func encode(cat Catalog) []byte {
	var b bytes.Buffer
	line := func(v any) string {
		j, err := json.Marshal(v)
		check(err)
		return string(j)
	}
	list := func(name string, n int, item func(int) any, last bool) {
		fmt.Fprintf(&b, "  %q: [\n", name)
		for i := 0; i < n; i++ {
			sep := ","
			if i == n-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "    %s%s\n", line(item(i)), sep)
		}
		if last {
			b.WriteString("  ]\n")
		} else {
			b.WriteString("  ],\n")
		}
	}
	b.WriteString("{\n")
	list("sources", len(cat.Sources), func(i int) any { return cat.Sources[i] }, false)
	list("cmdlets", len(cat.Cmdlets), func(i int) any { return cat.Cmdlets[i] }, false)
	list("procedures", len(cat.Procedures), func(i int) any { return cat.Procedures[i] }, false)
	list("setup", len(cat.Setup), func(i int) any { return cat.Setup[i] }, false)
	list("netsh", len(cat.Netsh), func(i int) any { return cat.Netsh[i] }, true)
	b.WriteString("}\n")
	return b.Bytes()
}

func gitOut(dir string, args ...string) string {
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).Output()
	check(err)
	return string(out)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
