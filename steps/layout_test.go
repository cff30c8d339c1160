package steps

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// stepFile matches the files that hold one step: step<N>_<name>.go.
var stepFile = regexp.MustCompile(`^step(\d+)_[a-z_]+\.go$`)

// TestStepFilesDoNotReachIntoEachOther keeps each step's file to its own names: what
// two steps share belongs in a facts file or a file of shared machinery, so that a
// step can be read, changed or removed alone.
func TestStepFilesDoNotReachIntoEachOther(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declaredIn := map[string]string{} // package-level name -> file
	parsed := map[string]*ast.File{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		parsed[f] = af
		for _, name := range topLevelNames(af) {
			declaredIn[name] = f
		}
	}
	var ties []string
	for f, af := range parsed {
		m := stepFile.FindStringSubmatch(f)
		if m == nil {
			continue
		}
		seen := map[string]bool{}
		ast.Inspect(af, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			from := declaredIn[id.Name]
			if from == "" || from == f || seen[id.Name] {
				return true
			}
			if o := stepFile.FindStringSubmatch(from); o != nil && o[1] != m[1] {
				seen[id.Name] = true
				ties = append(ties, f+" uses "+id.Name+" of "+from)
			}
			return true
		})
	}
	sort.Strings(ties)
	for _, tie := range ties {
		t.Error(tie)
	}
}

// topLevelNames lists the package-level names a file declares, methods as
// Receiver.Method so that they do not shadow functions of the same name.
func topLevelNames(f *ast.File) []string {
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names = append(names, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					names = append(names, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						names = append(names, n.Name)
					}
				}
			}
		}
	}
	return names
}
