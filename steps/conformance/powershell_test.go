package conformance

import (
	"strings"
)

// The PowerShell side of the extraction: a small lexer that knows PowerShell's
// quoting, comments and grouping well enough to tell a command name from an argument,
// a parameter from an operator inside a nested expression, and code from text inside
// a string. It does not evaluate anything.

// psCall is one command invocation in a script.
type psCall struct {
	Name   string
	Params []string
	// Args are the bare words after the name, "key=" for a word followed by "=":
	// what a native command such as netsh reads.
	Args []string
	Line int
}

// psScript is what a PowerShell script holds for the conformance check.
type psScript struct {
	Calls     []psCall
	Strings   []string        // the contents of every string literal, here-strings too
	Functions map[string]bool // names the script defines with `function`
	// Splats are the keys of each hashtable a variable holds, for "Cmd @var".
	Splats map[string][]string
}

type psTokKind int

const (
	psWord psTokKind = iota
	psString
	psOpen
	psClose
	psSep
	psAssign
	psCallOp
	psOther
)

type psTok struct {
	kind psTokKind
	text string
	line int
}

// psKeywords start statements but are not commands.
var psKeywords = map[string]bool{
	"if": true, "elseif": true, "else": true, "foreach": true, "for": true, "while": true,
	"do": true, "until": true, "switch": true, "try": true, "catch": true, "finally": true,
	"function": true, "filter": true, "param": true, "return": true, "throw": true,
	"exit": true, "break": true, "continue": true, "trap": true, "begin": true,
	"process": true, "end": true, "in": true, "data": true, "dynamicparam": true,
}

// scanPowerShell extracts the commands, strings and function names of a script.
func scanPowerShell(src string) psScript {
	toks, strs := lexPowerShell(src, 1)
	s := psScript{Strings: strs, Functions: map[string]bool{}, Splats: map[string][]string{}}
	walkPowerShell(toks, &s)
	return s
}

// lexPowerShell turns code into tokens; string contents go to strs as well as into
// the token stream, and the code of "$( … )" inside a double-quoted string is lexed
// as code in place.
func lexPowerShell(src string, line int) (toks []psTok, strs []string) {
	emit := func(k psTokKind, t string) { toks = append(toks, psTok{k, t, line}) }
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			emit(psSep, "\n")
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '`' && i+1 < len(src) && (src[i+1] == '\n' || src[i+1] == '\r'):
			// Line continuation.
			for i < len(src) && src[i] != '\n' {
				i++
			}
			i++
			line++
		case c == '<' && strings.HasPrefix(src[i:], "<#"):
			end := strings.Index(src[i:], "#>")
			if end < 0 {
				end = len(src) - i - 2
			}
			line += strings.Count(src[i:i+end+2], "\n")
			i += end + 2
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '@' && i+1 < len(src) && (src[i+1] == '\'' || src[i+1] == '"') && hereStringStart(src[i+2:]):
			closer := "\n" + string(src[i+1]) + "@"
			end := strings.Index(src[i+2:], closer)
			if end < 0 {
				end = len(src) - i - 2
			}
			body := src[i+2 : i+2+end]
			strs = append(strs, body)
			emit(psString, body)
			line += strings.Count(body, "\n") + 1
			i += 2 + end + len(closer)
		case c == '\'':
			lit, next := singleQuoted(src, i)
			strs = append(strs, lit)
			emit(psString, lit)
			line += strings.Count(lit, "\n")
			i = next
		case c == '"':
			var b strings.Builder
			j := i + 1
			startLine := line
			for j < len(src) {
				if src[j] == '`' && j+1 < len(src) {
					b.WriteByte(src[j+1])
					j += 2
					continue
				}
				if src[j] == '"' {
					if j+1 < len(src) && src[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					break
				}
				if src[j] == '$' && j+1 < len(src) && src[j+1] == '(' {
					end := matchParen(src, j+1)
					inner, innerStrs := lexPowerShell(src[j+2:end], line)
					toks = append(toks, psTok{psOpen, "$(", line})
					toks = append(toks, inner...)
					toks = append(toks, psTok{psClose, ")", line})
					strs = append(strs, innerStrs...)
					b.WriteString(src[j : end+1])
					line += strings.Count(src[j:end], "\n")
					j = end + 1
					continue
				}
				if src[j] == '\n' {
					line++
				}
				b.WriteByte(src[j])
				j++
			}
			strs = append(strs, b.String())
			toks = append(toks, psTok{psString, b.String(), startLine})
			i = j + 1
		case c == '$' && i+1 < len(src) && src[i+1] == '(',
			c == '@' && i+1 < len(src) && (src[i+1] == '(' || src[i+1] == '{'):
			emit(psOpen, src[i:i+2])
			i += 2
		case c == '(' || c == '{' || c == '[':
			emit(psOpen, string(c))
			i++
		case c == ')' || c == '}' || c == ']':
			emit(psClose, string(c))
			i++
		case c == ';':
			emit(psSep, ";")
			i++
		case c == '|':
			emit(psSep, "|")
			i++
			if i < len(src) && src[i] == '|' {
				i++
			}
		case c == '&':
			if i+1 < len(src) && src[i+1] == '&' {
				emit(psSep, "&&")
				i += 2
			} else {
				emit(psCallOp, "&")
				i++
			}
		case c == '=':
			emit(psAssign, "=")
			i++
		case c == ',':
			emit(psOther, ",")
			i++
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n(){}[];|,'\"=&", rune(src[j])) {
				if src[j] == '`' && j+1 < len(src) {
					j++
				}
				j++
			}
			word := src[i:j]
			// "+=", "-=" and the like are assignments.
			if j < len(src) && src[j] == '=' && (word == "+" || word == "-" || word == "*" || word == "/" || word == "%") {
				emit(psAssign, word+"=")
				i = j + 1
				continue
			}
			emit(psWord, word)
			i = j
		}
	}
	return toks, strs
}

// hereStringStart reports whether a here-string opener is followed by the end of its
// line, as PowerShell requires.
func hereStringStart(rest string) bool {
	k := strings.IndexByte(rest, '\n')
	if k < 0 {
		return false
	}
	return strings.TrimSpace(rest[:k]) == ""
}

// matchParen returns the index of the ')' that closes the '(' at open, skipping
// quoted text.
func matchParen(src string, open int) int {
	depth := 0
	for k := open; k < len(src); k++ {
		switch src[k] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return k
			}
		case '\'':
			if e := strings.IndexByte(src[k+1:], '\''); e >= 0 {
				k += e + 1
			}
		}
	}
	return len(src) - 1
}

// walkPowerShell finds the commands: a word in command position (the start of a
// statement or pipeline element, the start of a group, after an assignment to a
// variable or after the call operator) names a command, and the words that start
// with '-' at the same nesting level, until the statement ends, are its parameters.
func walkPowerShell(toks []psTok, s *psScript) {
	type level struct {
		open    string
		cur     *psCall
		cmdPos  bool
		hashFor string // the variable a hashtable literal is assigned to
	}
	stack := []*level{{open: "", cmdPos: true}}
	var prev psTok
	end := func(l *level) {
		if l.cur != nil {
			s.Calls = append(s.Calls, *l.cur)
			l.cur = nil
		}
	}
	defineNext := false
	assignTo := ""
	for _, t := range toks {
		l := stack[len(stack)-1]
		switch t.kind {
		case psSep:
			end(l)
			l.cmdPos = l.open != "@{" && l.open != "["
		case psOpen:
			next := &level{open: t.text, cmdPos: t.text != "@{" && t.text != "["}
			if t.text == "@{" && prev.kind == psAssign && assignTo != "" {
				next.hashFor = assignTo
				s.Splats[assignTo] = nil
			}
			stack = append(stack, next)
		case psClose:
			end(l)
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
				// The group was an operand: its statement has begun.
				stack[len(stack)-1].cmdPos = false
			}
		case psAssign:
			assignTo = ""
			if prev.kind == psWord && strings.HasPrefix(prev.text, "$") {
				assignTo = strings.ToLower(prev.text)
				// "$splat.Key = …" adds a key to a splatted hashtable.
				if v, _, ok := strings.Cut(assignTo, "."); ok {
					if _, isSplat := s.Splats[v]; isSplat {
						s.Splats[v] = append(s.Splats[v], prev.text[len(v)+1:])
					}
				}
			}
			if l.cur != nil && prev.kind == psWord && len(l.cur.Args) > 0 {
				l.cur.Args[len(l.cur.Args)-1] += "="
			}
			if l.hashFor != "" && prev.kind == psWord {
				s.Splats[l.hashFor] = append(s.Splats[l.hashFor], prev.text)
			}
			l.cmdPos = prev.kind == psWord && strings.HasPrefix(prev.text, "$") || prev.kind == psClose && prev.text == "]"
			if l.open == "@{" {
				l.cmdPos = false
			}
		case psCallOp:
			end(l)
			l.cmdPos = true
		case psWord:
			word := t.text
			switch {
			case defineNext:
				s.Functions[strings.ToLower(word)] = true
				defineNext = false
				l.cmdPos = false
			case l.cmdPos && psKeywords[strings.ToLower(word)]:
				defineNext = strings.EqualFold(word, "function") || strings.EqualFold(word, "filter")
				l.cmdPos = strings.EqualFold(word, "return")
			case l.cmdPos && isCommandName(word):
				end(l)
				l.cur = &psCall{Name: word, Line: t.line}
				l.cmdPos = false
			case l.cur != nil && strings.HasPrefix(word, "@") && len(word) > 1:
				l.cur.Params = append(l.cur.Params, s.Splats["$"+strings.ToLower(word[1:])]...)
			case l.cur != nil && isParameterToken(word):
				name := strings.TrimPrefix(word, "-")
				if k := strings.IndexByte(name, ':'); k >= 0 {
					name = name[:k]
				}
				l.cur.Params = append(l.cur.Params, name)
			default:
				if l.cur != nil {
					l.cur.Args = append(l.cur.Args, word)
				}
				l.cmdPos = false
			}
		default:
			l.cmdPos = false
		}
		prev = t
	}
	for len(stack) > 0 {
		end(stack[len(stack)-1])
		stack = stack[:len(stack)-1]
	}
}

// isCommandName reports whether a word in command position names a command rather
// than starting an expression (a variable, a number, an operator, a member access).
func isCommandName(w string) bool {
	if w == "" {
		return false
	}
	c := w[0]
	if c == '$' || c == '-' || c == '.' || c == ':' || c == '+' || c == '!' || c == '@' || c == '>' || c == '<' || (c >= '0' && c <= '9') {
		return false
	}
	return true
}

// isParameterToken reports whether an argument is a parameter name: '-' and a letter.
func isParameterToken(w string) bool {
	return len(w) > 1 && w[0] == '-' && (w[1] >= 'A' && w[1] <= 'Z' || w[1] >= 'a' && w[1] <= 'z')
}

// singleQuoted reads the '…' literal that starts at src[i], where ” stands for one
// quote (in PowerShell and in T-SQL alike), and returns its text and the index after
// it.
func singleQuoted(src string, i int) (string, int) {
	var b strings.Builder
	j := i + 1
	for j < len(src) {
		if src[j] == '\'' {
			if j+1 < len(src) && src[j+1] == '\'' {
				b.WriteByte('\'')
				j += 2
				continue
			}
			break
		}
		b.WriteByte(src[j])
		j++
	}
	return b.String(), j + 1
}
