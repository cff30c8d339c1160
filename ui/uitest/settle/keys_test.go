package settle

import "testing"

// Key spells keys as a person reads them on the key bar.
func TestKeyNamesReadBack(t *testing.T) {
	for _, name := range []string{"enter", "esc", "tab", "shift+tab", "backspace", "up", "down", "f1", "ctrl+c", "ctrl+y", "a", "N", "7", ";"} {
		if got := Key(name).String(); got != name {
			t.Errorf("Key(%q) reads back as %q", name, got)
		}
	}
}
