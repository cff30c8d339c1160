package app

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ssisha/ssisha/steps/answers"
)

// Undoable lists the steps whose succeeded actions the journal holds and no undo has
// reversed: a failed step that created something counts, an undone one does not.
func TestUndoableReadsTheJournal(t *testing.T) {
	path := filepath.Join(t.TempDir(), "journal.jsonl")
	lines := `{"id":"a","runId":"r1","kind":"result","step":1,"target":"node1.contoso.com","action":"add-node","status":"succeeded"}
{"id":"b","runId":"r1","kind":"result","step":2,"target":"node1.contoso.com","action":"create-certificate","status":"succeeded"}
{"id":"c","runId":"r1","kind":"result","step":2,"target":"node1.contoso.com","action":"install-master","status":"failed"}
{"id":"d","runId":"r1","kind":"result","step":5,"target":"node1.contoso.com","action":"set-settings","status":"succeeded"}
{"id":"e","runId":"r2","ref":"r1","kind":"undo-result","step":5,"target":"node1.contoso.com","action":"set-settings","status":"undone"}
`
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), nil, nil, Options{JournalPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Undoable(answers.Example()), []int{1, 2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Undoable = %v, want %v", got, want)
	}
}
