package cli

import (
	"strings"
	"testing"
)

// A rollback's summary says what it leaves on the nodes on purpose, for the steps it
// undid.
func TestRollbackSaysWhatItLeaves(t *testing.T) {
	tests := []struct {
		only       []int
		want, none []string
	}{
		{nil, []string{"MasterSettings.config", "Setup Bootstrap"}, nil},
		{[]int{5}, []string{"MasterSettings.config"}, []string{"Setup Bootstrap"}},
		{[]int{2}, []string{"Setup Bootstrap"}, []string{"MasterSettings.config"}},
		{[]int{7, 8}, nil, []string{"Left on the nodes"}},
	}
	for _, tt := range tests {
		got := leftBehind(tt.only)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("leftBehind(%v) = %q, want %q named", tt.only, got, w)
			}
		}
		for _, n := range tt.none {
			if strings.Contains(got, n) {
				t.Errorf("leftBehind(%v) = %q, names %q", tt.only, got, n)
			}
		}
	}
}
