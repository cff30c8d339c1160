package answers

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goccy/go-yaml"
)

// Marshal writes the answers as YAML. The answers hold no secrets, so neither does
// the output; Parse(Marshal(a)) gives back equal answers.
func Marshal(a *Answers) ([]byte, error) {
	out, err := yaml.MarshalWithOptions(a, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("write answers as YAML: %w", err)
	}
	return out, nil
}

// Save writes the answers to path atomically (a temporary file renamed over it), with
// mode 0600 because the file maps the estate. The file begins with SchemaHeader, so
// editors complete and check it against the published schema.
func Save(path string, a *Answers) error {
	data, err := Marshal(a)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, append([]byte(SchemaHeader), data...)); err != nil {
		return fmt.Errorf("save answer file: %w", err)
	}
	return nil
}

// writeFileAtomic writes data next to path and renames it into place, so a reader
// sees the old file or the new one, never half of one.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("create a temporary file in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if tmp != "" {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		_ = f.Close()
		return fmt.Errorf("restrict %s to mode 0600: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("flush %s to disk: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("move %s into place: %w", path, err)
	}
	tmp = ""
	return nil
}
