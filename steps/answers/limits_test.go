package answers

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A 200 KB file of nested brackets is refused before the YAML library sees it, with
// a clear error and without the gigabytes the library spent on it.
func TestNestedBracketsAreRefusedCheaply(t *testing.T) {
	for name, data := range map[string]string{
		"flow lists":    "masters: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "\n",
		"flow sections": "cluster: " + strings.Repeat("{a: ", 50_000) + "1" + strings.Repeat("}", 50_000) + "\n",
		"after O'Brien": "domain: O'Brien\nmasters: " + strings.Repeat("[", 100_000) + "\n",
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := Parse([]byte(data))
		runtime.ReadMemStats(&after)
		var pe ParseErrors
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "nested more than") {
			t.Errorf("%s: error %v, want the nesting named", name, err)
		}
		if used := after.TotalAlloc - before.TotalAlloc; used > 50<<20 {
			t.Errorf("%s: refusing it allocated %d MB, want under 50", name, used>>20)
		}
	}
}

func TestAnswerFileLimits(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"deep indentation", "cluster:\n" + strings.Repeat(" ", 100) + "name: x\n", "indented more than"},
		{"many aliases", "masters: [" + strings.Repeat("*a, ", 100) + "]\n", "aliases"},
		{"brackets in quotes count not", "setupMedia: '" + strings.Repeat("[", 100) + "'\n", ""},
		{"brackets in comments count not", "# " + strings.Repeat("{", 100) + "\ndomain: CONTOSO\n", ""},
	}
	for _, tt := range tests {
		err := checkShape([]byte(tt.data))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
	path := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(path, []byte("# "+strings.Repeat("x", MaxFileSize)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a file over the size limit: %v", err)
	}
}

// A port is a whole number: 8391.9 is not truncated and 1e3 is not read as 1000.
func TestPortsAreWholeNumbers(t *testing.T) {
	for _, v := range []string{"8391.9", "1e3", "8391.0", "0x20C7"} {
		_, err := Parse([]byte("masterService:\n  port: " + v + "\n"))
		if err == nil || !strings.Contains(err.Error(), "masterService.port") || !strings.Contains(err.Error(), "whole number") {
			t.Errorf("port %s: error %v, want it refused as not a whole number", v, err)
		}
	}
	if _, err := Parse([]byte("masterService:\n  port: 8391\n")); err != nil {
		t.Errorf("port 8391 refused: %v", err)
	}
}
