package answers

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"

	"github.com/ssisha/ssisha/envvar"
)

// LoadSecrets reads the secrets from file (KEY=VALUE lines; "" for none) and then
// from the environment, which wins. The file is refused unless only its owner can
// read it (mode 0600 or stricter). Values may be wrapped in one pair of single or
// double quotes, which are removed; nothing inside is unescaped, so a value may
// contain any character but a line break. Lines starting with # are comments.
func LoadSecrets(getenv func(string) string, file string) (*Secrets, error) {
	s := &Secrets{}
	if file != "" {
		if err := s.readFile(file); err != nil {
			return nil, err
		}
	}
	if getenv != nil {
		for _, spec := range secretSpecs {
			if v := getenv(spec.Env); v != "" {
				_ = s.Set(spec.Env, v)
			}
		}
		for _, env := range []string{EnvWinRMUser, EnvSQLUser, EnvWaitScale} {
			if v := getenv(env); v != "" {
				_ = s.Set(env, v)
			}
		}
	}
	return s, nil
}

func (s *Secrets) readFile(file string) error {
	info, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("read secrets file: %w", err)
	}
	// Windows reports no owner-only bits; there the file's ACL is the guard.
	if mode := info.Mode().Perm(); runtime.GOOS != "windows" && mode&0o077 != 0 {
		return fmt.Errorf("secrets file %s has mode %04o, so others can read it; run chmod 600 %s and try again", file, mode, file)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read secrets file: %w", err)
	}
	return s.parseFile(file, data)
}

// parseFile reads KEY=VALUE lines. Errors name the file, line and key, never a value.
func (s *Secrets) parseFile(file string, data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimSuffix(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok {
			// The line may be a bare password, so it is not repeated.
			return fmt.Errorf("secrets file %s, line %d: expected KEY=VALUE; write it as %sNAME=value (for example %s=...)", file, n, envvar.Prefix, EnvLoggingPassword)
		}
		// The text before = may be part of a password (a line that lost its key), so
		// an error names the line only, never the key it read.
		if !looksLikeName(key) || !knownName(key) {
			return fmt.Errorf("secrets file %s, line %d: the key is not a name ssisha reads; the names are %s", file, n, knownNames())
		}
		value = unquote(strings.TrimSpace(value))
		if err := s.Set(key, value); err != nil {
			return fmt.Errorf("secrets file %s, line %d: the value cannot be stored", file, n)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read secrets file %s: %w", file, err)
	}
	return nil
}

// knownName reports whether k is a secret's or setting's name ssisha reads.
func knownName(k string) bool {
	_, ok := specFor(k)
	return ok || k == EnvWinRMUser || k == EnvSQLUser || k == EnvWaitScale
}

// looksLikeName reports whether k is spelled like an environment variable name.
func looksLikeName(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// WriteSecretsFile writes values (keyed by SSISHA_* name) to path with mode 0600,
// atomically, in the form LoadSecrets reads.
func WriteSecretsFile(path string, values map[string]string) error {
	keys := make([]string, 0, len(values))
	for k, v := range values {
		if !knownName(k) {
			return fmt.Errorf("write secrets file %s: %s is not a name ssisha reads; the names are %s", path, k, knownNames())
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			return fmt.Errorf("write secrets file %s: the value of %s contains a line break or NUL, which the file cannot hold; choose another value", path, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("# ssisha secrets: keep this file mode 0600 and out of version control.\n")
	for _, k := range keys {
		// One pair of single quotes always round-trips: LoadSecrets removes exactly
		// one pair and unescapes nothing.
		fmt.Fprintf(&b, "%s='%s'\n", k, values[k])
	}
	if err := writeFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("write secrets file: %w", err)
	}
	return nil
}
