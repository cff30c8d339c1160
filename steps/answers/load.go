package answers

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// ParseError is one problem that stops an answer file from being read at all: a YAML
// syntax error, an unknown or duplicate key, a value of the wrong type.
type ParseError struct {
	Line    int    // 1-based; 0 when unknown
	Path    string // field path such as masterService.account; empty for syntax errors
	Problem string
}

// Error reads like "line 12: unknown key masterService.acount; did you mean account?".
func (e ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Problem)
	}
	return e.Problem
}

// ParseErrors is every problem Parse found, in line order.
type ParseErrors []ParseError

// Error lists the problems one per line.
func (es ParseErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Load reads an answer file, checks its keys and applies the defaults. It does not
// validate the values; call Validate for that.
func Load(path string) (*Answers, error) {
	if info, err := os.Stat(path); err == nil && info.Size() > MaxFileSize {
		return nil, fmt.Errorf("answer file %s:\n%w", path, ParseErrors{tooBig(info.Size())})
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read answer file: %w", err)
	}
	a, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("answer file %s:\n%w", path, err)
	}
	a.ApplyDefaults()
	return a, nil
}

// Parse reads an answer file's YAML. Unknown keys, duplicate keys and values of the
// wrong type are errors (ParseErrors) that name the key and its line; defaults are
// not applied.
func Parse(data []byte) (a *Answers, err error) {
	// The YAML library can panic on some malformed input; a bad file must be an
	// error, never a crash.
	defer func() {
		if r := recover(); r != nil {
			a, err = nil, ParseErrors{{Problem: fmt.Sprintf("the file is not YAML ssisha can read (%v); check it for stray characters", r)}}
		}
	}()
	// The YAML library's memory grows much faster than the input on deep nesting
	// (200 KB of brackets took 15 GB): limits are checked before it sees the file.
	if err := checkShape(data); err != nil {
		return nil, ParseErrors{*err}
	}
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, ParseErrors{syntaxProblem(err)}
	}
	a = &Answers{lines: map[string]int{}}
	var body ast.Node
	for _, doc := range file.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, ParseErrors{{Line: line(doc.Body), Problem: "the answer file holds more than one YAML document; keep one (remove the second ---)"}}
		}
		body = doc.Body
	}
	if body == nil {
		return a, nil
	}
	w := walker{lines: a.lines}
	w.walk(body, reflect.TypeOf(Answers{}), "")
	if len(w.errs) > 0 {
		sort.SliceStable(w.errs, func(i, j int) bool { return w.errs[i].Line < w.errs[j].Line })
		return nil, w.errs
	}
	if err := yaml.NodeToValue(body, a); err != nil {
		return nil, ParseErrors{decodeProblem(err, a.lines)}
	}
	return a, nil
}

// Line is the line of the answer file a field path was read from, or 0.
func (a *Answers) Line(path string) int { return a.lines[path] }

// lineFor is the line of path, or of its nearest ancestor present in the file, so that
// a missing key points at the section it belongs in.
func (a *Answers) lineFor(path string) int {
	for path != "" {
		if n, ok := a.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}

// has reports whether the file spelled out path.
func (a *Answers) has(path string) bool {
	_, ok := a.lines[path]
	return ok
}

type walker struct {
	lines map[string]int
	errs  ParseErrors
}

func (w *walker) fail(n int, path, format string, args ...any) {
	w.errs = append(w.errs, ParseError{Line: n, Path: path, Problem: fmt.Sprintf(format, args...)})
}

// walk checks node against the Go type the decoder will fill, recording the line of
// every field path and reporting keys the type does not have. Values of the wrong
// kind are left to the decoder, which names them.
func (w *walker) walk(node ast.Node, t reflect.Type, path string) {
	if tag, ok := node.(*ast.TagNode); ok {
		w.fail(line(tag), path, "%s has the YAML tag %s; answer files use no tags, so remove it", orField(path), tag.Start.Value)
		return
	}
	node = unwrap(node)
	if node == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	// The decoder truncates 8391.9 to 8391 and reads 1e3 as 1000: a whole number is
	// written as one.
	if kindWords(t) == "a whole number" {
		switch node.(type) {
		case *ast.FloatNode, *ast.IntegerNode, *ast.StringNode:
			if v := node.GetToken().Value; !wholeNumber(v) {
				w.fail(line(node), path, "%s is %s; type a whole number (digits only)", orField(path), strconv.Quote(v))
				return
			}
		}
	}
	switch t.Kind() {
	case reflect.Struct:
		pairs := mappingPairs(node)
		if pairs == nil {
			return
		}
		fields := yamlFields(t)
		seen := map[string]int{}
		for _, mv := range pairs {
			key, n := keyName(mv)
			if mv.Key.IsMergeKey() {
				w.fail(n, path, "merge keys (<<) are not supported in answer files; write the keys out")
				continue
			}
			child := join(path, key)
			if first, dup := seen[key]; dup {
				w.fail(n, child, "duplicate key %s (first set on line %d); keep one", child, first)
				continue
			}
			seen[key] = n
			f, ok := fields[key]
			if !ok {
				w.fail(n, child, "unknown key %s; %s", child, suggest(key, t))
				continue
			}
			w.lines[child] = n
			w.walk(mv.Value, f.Type, child)
		}
	case reflect.Slice:
		seq, ok := node.(*ast.SequenceNode)
		if !ok {
			return
		}
		for i, v := range seq.Values {
			child := fmt.Sprintf("%s[%d]", path, i)
			w.lines[child] = line(v)
			w.walk(v, t.Elem(), child)
		}
	}
}

// wholeNumber reports whether v is written as decimal digits, with an optional sign.
func wholeNumber(v string) bool {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "-"), "+")
	if v == "" {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func unwrap(node ast.Node) ast.Node {
	for {
		switch n := node.(type) {
		case *ast.AnchorNode:
			node = n.Value
		case *ast.TagNode:
			node = n.Value
		case *ast.AliasNode:
			// The anchor it names was checked where it was defined.
			return nil
		case *ast.NullNode:
			return nil
		default:
			return node
		}
	}
}

func mappingPairs(node ast.Node) []*ast.MappingValueNode {
	switch n := node.(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	}
	return nil
}

func keyName(mv *ast.MappingValueNode) (string, int) {
	tk := mv.Key.GetToken()
	n := 0
	if tk != nil && tk.Position != nil {
		n = tk.Position.Line
	}
	if s, ok := mv.Key.(*ast.StringNode); ok {
		return s.Value, n
	}
	if tk != nil {
		return tk.Value, n
	}
	return mv.Key.String(), n
}

func line(node ast.Node) int {
	if node == nil {
		return 0
	}
	tk := node.GetToken()
	if tk == nil || tk.Position == nil {
		return 0
	}
	return tk.Position.Line
}

// yamlFields maps the YAML keys of a struct type to its fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name[:1]) + f.Name[1:]
		}
		fields[name] = f
	}
	return fields
}

// suggest names the key the user most likely meant, or lists the keys allowed here.
func suggest(key string, t reflect.Type) string {
	fields := yamlFields(t)
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestDist := "", 1<<30
	for _, n := range names {
		d := editDistance(strings.ToLower(key), strings.ToLower(n))
		if d < bestDist {
			best, bestDist = n, d
		}
	}
	for _, n := range names {
		if len(key) >= 3 && (strings.HasPrefix(strings.ToLower(key), strings.ToLower(n)) || strings.HasPrefix(strings.ToLower(n), strings.ToLower(key))) {
			return "did you mean " + n + "?"
		}
	}
	if best != "" && bestDist <= max(2, len(best)/3) {
		return "did you mean " + best + "?"
	}
	return "the keys allowed here are " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance between two strings, by bytes: keys are ASCII.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// syntaxProblem turns a YAML parser error into a ParseError that carries its line and
// the parser's own message, without the library's source excerpt.
func syntaxProblem(err error) ParseError {
	var ye yaml.Error
	if errors.As(err, &ye) {
		pe := ParseError{Problem: "YAML syntax error: " + ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			pe.Line = tk.Position.Line
		}
		return pe
	}
	return ParseError{Problem: "YAML syntax error: " + err.Error()}
}

// decodeProblem turns a decoder error into a ParseError in the answer file's words:
// the field path and what kind of value it takes.
func decodeProblem(err error, lines map[string]int) ParseError {
	var ye yaml.Error
	if !errors.As(err, &ye) {
		return ParseError{Problem: err.Error()}
	}
	pe := ParseError{Problem: ye.GetMessage()}
	tk := ye.GetToken()
	if tk != nil && tk.Position != nil {
		pe.Line = tk.Position.Line
	}
	pe.Path = pathAtLine(lines, pe.Line)
	var te *yaml.TypeError
	if errors.As(err, &te) && te.DstType != nil {
		value := ""
		if tk != nil {
			value = tk.Value
		}
		pe.Problem = fmt.Sprintf("%s is %s; type %s", orField(pe.Path), strconv.Quote(value), kindWords(te.DstType))
	}
	var ue *yaml.UnexpectedNodeTypeError
	if errors.As(err, &ue) {
		pe.Problem = fmt.Sprintf("%s is %s where %s is expected", orField(pe.Path), nodeWords(ue.Actual), nodeWords(ue.Expected))
	}
	return pe
}

func orField(path string) string {
	if path == "" {
		return "the value"
	}
	return path
}

// pathAtLine finds the deepest field path read from line n, or else from the
// nearest line above it (the key whose value spans line n).
func pathAtLine(lines map[string]int, n int) string {
	best, bestLine := "", 0
	for p, l := range lines {
		if l > n || l < bestLine {
			continue
		}
		if l > bestLine || len(p) > len(best) {
			best, bestLine = p, l
		}
	}
	return best
}

func nodeWords(t ast.NodeType) string {
	switch t {
	case ast.SequenceType:
		return "a list"
	case ast.MappingType, ast.MappingValueType:
		return "a section of keys"
	}
	return "a single value"
}

func kindWords(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a text value"
	case reflect.Slice:
		return "a list (lines starting with -)"
	case reflect.Struct, reflect.Map:
		return "a section of keys"
	}
	return "a value of type " + t.String()
}
