package script

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Secret holds a password or key. Every way of printing it (fmt verbs, JSON, YAML,
// errors built from it) yields its placeholder; only Reveal gives the value, and only
// the code that puts it on the wire calls Reveal.
type Secret struct {
	name  string
	value string
}

// NewSecret wraps value under a name that appears in its placeholder, for example
// "logging-password" shows as <secret:logging-password>.
func NewSecret(name, value string) Secret { return Secret{name: name, value: value} }

// Name is the secret's name.
func (s Secret) Name() string { return s.name }

// Reveal returns the value. Call it only to send the value to a node.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no value was given.
func (s Secret) IsZero() bool { return s.value == "" }

// String returns the placeholder.
func (s Secret) String() string { return "<secret:" + s.name + ">" }

// GoString returns the placeholder, so %#v does not leak either.
func (s Secret) GoString() string { return s.String() }

// Format makes every fmt verb print the placeholder.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(s.String())) }

// MarshalJSON writes the placeholder.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText writes the placeholder (YAML and other text encoders use it).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Redactor replaces every known secret value in text by its placeholder. It is the one
// redaction layer in front of logs, the journal, errors, bundles and the screen.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]string // value or one of its spellings -> placeholder
	// order is the keys of secrets, longest first, so that a secret containing
	// another is replaced whole.
	order []string
}

// shortSecret is the length under which a value is replaced only where it stands
// alone: a short value ("node1") is too likely to be part of other text
// ("node1.contoso.com"), and replacing it there would both mangle that text and
// give the secret away.
const shortSecret = 8

// NewRedactor returns a Redactor that knows the given secrets.
func NewRedactor(secrets ...Secret) *Redactor {
	r := &Redactor{secrets: map[string]string{}}
	r.Add(secrets...)
	return r
}

// Add teaches the redactor more secrets. Empty values are ignored.
func (r *Redactor) Add(secrets ...Secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s.value == "" {
			continue
		}
		for _, v := range spellings(s.value) {
			r.secrets[v] = s.String()
		}
	}
	r.order = r.order[:0]
	for v := range r.secrets {
		r.order = append(r.order, v)
	}
	sort.Slice(r.order, func(i, j int) bool {
		if len(r.order[i]) != len(r.order[j]) {
			return len(r.order[i]) > len(r.order[j])
		}
		return r.order[i] < r.order[j]
	})
}

// spellings lists the forms a value takes in the text ssisha and the nodes produce:
// as is, JSON-escaped (Go's encoder with and without HTML escaping, and Windows
// PowerShell's ConvertTo-Json, which also escapes '), XML-escaped (as settings files
// and error records hold it), then inside a PowerShell single-quoted literal (every
// quote character doubled, typographic ones too), a T-SQL literal (' doubled) or a
// bracketed name (] doubled), and that once more JSON-escaped (a rendered script's
// line quoted in an event or an error record).
func spellings(v string) []string {
	inner := []func(string) string{same, jsonEscape, jsonEscapeHTML, jsonEscapePS, xmlEscape, xmlEscapeNumeric}
	quoting := []func(string) string{same, psDouble, sqlDouble, bracketDouble}
	outer := []func(string) string{same, jsonEscape, jsonEscapeHTML}
	seen := map[string]bool{}
	var out []string
	for _, e := range inner {
		for _, q := range quoting {
			for _, o := range outer {
				if x := o(q(e(v))); !seen[x] {
					seen[x] = true
					out = append(out, x)
				}
			}
		}
	}
	return out
}

func same(s string) string { return s }

// jsonEscape is the inside of a JSON string as ssisha's encoders write it.
func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// jsonEscapeHTML is the inside of a JSON string as json.Marshal writes it.
func jsonEscapeHTML(s string) string {
	j, _ := json.Marshal(s)
	return string(j[1 : len(j)-1])
}

// jsonEscapePS is the inside of a JSON string as Windows PowerShell's ConvertTo-Json
// writes it: ' < > & as \u escapes too.
func jsonEscapePS(s string) string {
	return strings.NewReplacer("'", `\u0027`).Replace(jsonEscapeHTML(s))
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;").Replace(s)
}

// xmlEscapeNumeric is XML escaping as Go's encoder and .NET write it: quotes as
// character references.
func xmlEscapeNumeric(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&#39;", `"`, "&#34;").Replace(s)
}

// psDouble is the inside of QuotePS.
func psDouble(s string) string {
	q := QuotePS(s)
	return q[1 : len(q)-1]
}

func sqlDouble(s string) string     { return strings.ReplaceAll(s, "'", "''") }
func bracketDouble(s string) string { return strings.ReplaceAll(s, "]", "]]") }

// Redact returns text with every known secret replaced, longest values first so that
// a secret containing another is replaced whole. A value shorter than 8 characters is
// replaced only where it stands alone, not inside a longer word or name.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, v := range r.order {
		if !strings.Contains(text, v) {
			continue
		}
		if utf8.RuneCountInString(v) < shortSecret {
			text = replaceAlone(text, v, r.secrets[v])
			continue
		}
		text = strings.ReplaceAll(text, v, r.secrets[v])
	}
	return text
}

// replaceAlone replaces v in text where it is not part of a longer word or name.
func replaceAlone(text, v, with string) string {
	var b strings.Builder
	for {
		i := strings.Index(text, v)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		end := i + len(v)
		if standsAlone(text, i, end) {
			b.WriteString(text[:i])
			b.WriteString(with)
		} else {
			b.WriteString(text[:end])
		}
		text = text[end:]
	}
}

// standsAlone reports whether text[i:end] has no word character right before or
// after it; a dot after it counts as the end of a sentence only when no word
// character follows the dot.
func standsAlone(text string, i, end int) bool {
	if before, _ := utf8.DecodeLastRuneInString(text[:i]); i > 0 && (wordRune(before) || before == '.') {
		return false
	}
	if end < len(text) {
		after, size := utf8.DecodeRuneInString(text[end:])
		if wordRune(after) {
			return false
		}
		if after == '.' && end+size < len(text) {
			if next, _ := utf8.DecodeRuneInString(text[end+size:]); wordRune(next) {
				return false
			}
		}
	}
	return true
}

func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '@' || r == '\\'
}

// RedactError wraps err so that its message is redacted; errors.Is and errors.As
// still see the original.
func (r *Redactor) RedactError(err error) error {
	if err == nil || r == nil {
		return err
	}
	return &redactedError{msg: r.Redact(err.Error()), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
