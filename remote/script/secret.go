package script

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
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
	secrets map[string]string // value -> placeholder
}

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
		r.secrets[s.value] = s.String()
		// Values travel in other spellings too: doubled quotes in PowerShell and T-SQL
		// literals, and JSON escaping.
		if q := strings.ReplaceAll(s.value, "'", "''"); q != s.value {
			r.secrets[q] = s.String()
		}
		if j, err := json.Marshal(s.value); err == nil {
			if js := string(j[1 : len(j)-1]); js != s.value {
				r.secrets[js] = s.String()
			}
		}
	}
}

// Redact returns text with every known secret replaced, longest values first so that
// a secret containing another is replaced whole.
func (r *Redactor) Redact(text string) string {
	if r == nil {
		return text
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if len(r.secrets) == 0 {
		return text
	}
	values := make([]string, 0, len(r.secrets))
	for v := range r.secrets {
		values = append(values, v)
	}
	sort.Slice(values, func(i, j int) bool { return len(values[i]) > len(values[j]) })
	for _, v := range values {
		text = strings.ReplaceAll(text, v, r.secrets[v])
	}
	return text
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
