package conformance

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Where the scripts come from: the rendered golden files of the steps, which hold
// every script the steps send with realistic values, and the string literals of the
// steps' Go files, so that a template no golden file renders is still read. Both are
// found by walking folders, never by naming files, so templates can move between
// files freely.

// stepsDir is the steps package, whose golden files and templates are checked.
const stepsDir = ".."

// scriptKind is the language of a script.
type scriptKind int

const (
	kindPowerShell scriptKind = iota
	kindTSQL
)

// script is one script to check, and where it came from.
type script struct {
	Origin string // golden file and op, or Go file and declaration
	Kind   scriptKind
	Text   string
	// Fragment is true for Go string literals: parts of templates, whose functions
	// may be defined in other parts.
	Fragment bool
}

var opHeader = regexp.MustCompile(`^(# ssisha-op: |/\* ssisha-op: )(\S+)`)

// goldenScripts splits every golden file into its scripts. A .ps1 or .sql file is one
// script; a .txt file holds several, each starting at its ssisha-op header and ending
// at the next "== " or "-- on " line of the golden format.
func goldenScripts(t *testing.T) []script {
	t.Helper()
	dir := filepath.Join(stepsDir, "testdata", "golden")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading the golden scripts: %v", err)
	}
	var out []script
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var cur *script
		flush := func() {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		}
		for _, line := range strings.SplitAfter(string(raw), "\n") {
			if m := opHeader.FindStringSubmatch(line); m != nil {
				flush()
				kind := kindPowerShell
				if strings.HasPrefix(m[1], "/*") {
					kind = kindTSQL
				}
				cur = &script{Origin: e.Name() + " (" + m[2] + ")", Kind: kind}
			} else if strings.HasPrefix(line, "== ") || strings.HasPrefix(line, "-- on ") {
				flush()
				continue
			}
			if cur != nil {
				cur.Text += line
			}
		}
		flush()
	}
	return out
}

var (
	psVariable = regexp.MustCompile(`\$[A-Za-z_({]`)
	tsqlMarker = regexp.MustCompile(`(?i)\bSET\s+NOCOUNT\b|\bDECLARE\s+@`)
)

// splice stands for a value a template splices in between literals; it becomes a
// variable in PowerShell and spliceTSQL in T-SQL, whose procedure names it may be.
const (
	splice     = "\x00"
	spliceTSQL = "ssishaSplice"
)

// goFragments returns the string constants of every non-test Go file under the steps
// package, a chain of literals joined with + read as one string with a placeholder
// where a value is spliced in. A fragment counts as PowerShell if it holds a variable
// and nothing that only T-SQL has, as T-SQL if it holds an EXEC.
func goFragments(t *testing.T) []script {
	t.Helper()
	out, _ := readGoLiterals(t)
	return out
}

// readGoLiterals returns the fragments, and every string literal of the same files.
func readGoLiterals(t *testing.T) ([]script, map[string]bool) {
	t.Helper()
	var out []script
	all := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(stepsDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != stepsDir && (d.Name() == "testdata" || d.Name() == "conformance") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(stepsDir, path)
		for _, decl := range f.Decls {
			name := declName(decl)
			ast.Inspect(decl, func(n ast.Node) bool {
				e, ok := n.(ast.Expr)
				if !ok {
					return true
				}
				if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if v, err := strconv.Unquote(lit.Value); err == nil {
						all[v] = true
					}
				}
				text, ok := literalChain(e)
				if !ok {
					return true
				}
				origin := "steps/" + filepath.ToSlash(rel) + ":" + strconv.Itoa(fset.Position(e.Pos()).Line) + " (" + name + ")"
				switch {
				case psVariable.MatchString(text) && !tsqlMarker.MatchString(text):
					text = strings.ReplaceAll(text, splice, " $ssishaValue ")
					out = append(out, script{Origin: origin, Kind: kindPowerShell, Text: text, Fragment: true})
				case hasExec.MatchString(text):
					text = strings.ReplaceAll(text, splice, " "+spliceTSQL+" ")
					out = append(out, script{Origin: origin, Kind: kindTSQL, Text: text, Fragment: true})
				}
				return false
			})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the steps' Go files: %v", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Origin < out[j].Origin })
	return out, all
}

// literalChain reads a string literal, or a + chain holding at least one, as text.
func literalChain(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return literalChain(x.X)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		l, lok := literalChain(x.X)
		r, rok := literalChain(x.Y)
		if !lok && !rok {
			return "", false
		}
		if !lok {
			l = splice
		}
		if !rok {
			r = splice
		}
		return l + r, true
	}
	return "", false
}

// declName names a top-level declaration: the function, or the first constant or
// variable it declares.
func declName(d ast.Decl) string {
	switch x := d.(type) {
	case *ast.FuncDecl:
		if x.Recv != nil && len(x.Recv.List) > 0 {
			if star, ok := x.Recv.List[0].Type.(*ast.StarExpr); ok {
				if id, ok := star.X.(*ast.Ident); ok {
					return id.Name + "." + x.Name.Name
				}
			}
			if id, ok := x.Recv.List[0].Type.(*ast.Ident); ok {
				return id.Name + "." + x.Name.Name
			}
		}
		return x.Name.Name
	case *ast.GenDecl:
		for _, s := range x.Specs {
			if v, ok := s.(*ast.ValueSpec); ok && len(v.Names) > 0 {
				return v.Names[0].Name
			}
		}
	}
	return "?"
}
