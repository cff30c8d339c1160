package engine

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
)

func TestDefaultJournalPath(t *testing.T) {
	tests := []struct {
		name, stateDir, xdg, cluster, want string
	}{
		{"override wins", "/srv/ssisha", "/xdg", "SSISCL", "/srv/ssisha/ssiscl.journal.jsonl"},
		{"xdg state home", "", "/xdg", "SSISCL", "/xdg/ssisha/ssiscl.journal.jsonl"},
		{"unsafe characters are replaced", "/s", "", "../Prod CL", "/s/___prod_cl.journal.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("SSISHA_STATE_DIR", tt.stateDir)
			t.Setenv("XDG_STATE_HOME", tt.xdg)
			got, err := DefaultJournalPath(tt.cluster)
			if err != nil {
				t.Fatal(err)
			}
			if got != filepath.FromSlash(tt.want) {
				t.Errorf("DefaultJournalPath(%q) = %q, want %q", tt.cluster, got, tt.want)
			}
		})
	}
	t.Run("home state folder", func(t *testing.T) {
		if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
			t.Skip("uses the configuration folder here")
		}
		t.Setenv("SSISHA_STATE_DIR", "")
		t.Setenv("XDG_STATE_HOME", "")
		t.Setenv("HOME", "/home/dba")
		got, err := DefaultJournalPath("SSISCL")
		if err != nil || got != "/home/dba/.local/state/ssisha/ssiscl.journal.jsonl" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("empty cluster name", func(t *testing.T) {
		if _, err := DefaultJournalPath("  "); err == nil || !strings.Contains(err.Error(), "cluster.name") {
			t.Errorf("error %v, want the field named", err)
		}
	})
}

func TestJournalIsPrivateAndRedacted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j", "c.journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	j.UseRedactor(script.NewRedactor(script.NewSecret("pfx-password", canary)))
	err = j.write(Record{RunID: "r1", Kind: KindResult, Step: 4, Target: "n1", Action: "import",
		Summary: "import with " + canary, Status: StatusSucceeded, Error: "x'" + canary,
		Undo: steps.Undo(`{"nested":{"list":["` + canary + `",3]},"` + canary + `":"key"}`)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	mustNotContain(t, "the journal", string(b))
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
		}
	}
	recs, err := j.Records()
	if err != nil || len(recs) != 1 || undoData(recs[0].Undo)["nested"] == nil {
		t.Errorf("records %+v, %v", recs, err)
	}
}

func TestJournalPendingAndApplied(t *testing.T) {
	recs := []Record{
		{RunID: "r1", Kind: KindIntent, Step: 2, Target: "n1", Action: "a"},
		{RunID: "r1", Kind: KindResult, Step: 2, Target: "n1", Action: "a", Status: StatusSucceeded},
		{RunID: "r1", Kind: KindIntent, Step: 2, Target: "n1", Action: "b"},
		{RunID: "r1", Kind: KindResult, Step: 2, Target: "n1", Action: "b", Status: StatusSucceeded},
		{RunID: "r1", Kind: KindIntent, Step: 2, Target: "n2", Action: "a"},
		{RunID: "r1", Kind: KindResult, Step: 2, Target: "n2", Action: "a", Status: StatusFailed},
		{RunID: "r1", Kind: KindIntent, Step: 3, Target: "n1", Action: "c"}, // interrupted
		{RunID: "u1", Ref: "r1", Kind: KindUndoIntent, Step: 2, Target: "n1", Action: "b"},
		{RunID: "u1", Ref: "r1", Kind: KindUndoResult, Step: 2, Target: "n1", Action: "b", Status: StatusUndone},
		{RunID: "u1", Ref: "r1", Kind: KindUndoIntent, Step: 2, Target: "n1", Action: "a"}, // interrupted undo
	}
	p := pending(recs)
	if len(p) != 2 || p[0].Action != "c" || p[1].Kind != KindUndoIntent {
		t.Errorf("pending = %+v, want the intent for c and the undo intent for a", p)
	}
	a := applied(recs, 2, "N1")
	if len(a) != 1 || a[0].Action != "a" {
		t.Errorf("applied(2, n1) = %+v, want only a (b undone, failures never applied)", a)
	}
	if got := applied(recs, 2, "n2"); len(got) != 0 {
		t.Errorf("a failed action is not applied: %+v", got)
	}
}

func TestJournalTornLastLineIsIgnored(t *testing.T) {
	good := `{"time":"2025-01-01T00:00:00Z","runId":"r","kind":"intent","step":1,"target":"n1","action":"a"}` + "\n"
	tests := []struct {
		name    string
		data    string
		want    int
		wantErr bool
	}{
		{"clean", good + strings.Replace(good, `"action":"a"`, `"action":"b"`, 1), 2, false},
		{"a duplicated line counts once", good + good, 1, false},
		{"torn tail from a crash", good + `{"time":"2025-01-01T00:00:00Z","ru`, 1, false},
		{"damage in the middle", good + "garbage\n" + good, 0, true},
		{"blank lines", "\n" + good + "\n\n", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := parseRecords([]byte(tt.data), "j")
			if (err != nil) != tt.wantErr || len(recs) != tt.want {
				t.Errorf("got %d records, err %v; want %d, error %v", len(recs), err, tt.want, tt.wantErr)
			}
		})
	}
}

// FuzzParseRecords: a damaged journal yields records or an error, never a panic, and
// the records it yields keep their kind.
func FuzzParseRecords(f *testing.F) {
	f.Add([]byte(`{"runId":"r","kind":"intent","step":1}` + "\n"))
	f.Add([]byte(`{"kind":"result","undo":{"a":[1,"x",{"b":null}]}}` + "\n{"))
	f.Add([]byte("\n\n\xff\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := parseRecords(data, "fuzz")
		if err != nil && recs != nil {
			t.Errorf("records and an error together")
		}
		_ = pending(recs)
		_ = applied(recs, 1, "")
	})
}

func TestOpenJournalDropsATornTailBeforeAppending(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.journal.jsonl")
	good := `{"time":"2026-01-01T00:00:00Z","runId":"r1","kind":"intent","step":1,"target":"node1","action":"a"}` + "\n"
	if err := os.WriteFile(path, []byte(good+`{"time":"2026-01-01T00:00:01Z","runId":"r1","ki`), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.write(Record{Time: time.Now(), RunID: "r2", Kind: KindRunStart}); err != nil {
		t.Fatal(err)
	}
	recs, err := j.Records()
	if err != nil {
		t.Fatalf("the journal does not read after a torn tail and an append: %v", err)
	}
	if len(recs) != 2 || recs[0].RunID != "r1" || recs[1].RunID != "r2" {
		t.Errorf("records = %+v", recs)
	}
	_ = j.Close()
}

// A result duplicated in the journal (under its ID, or as the same line) is undone
// once: rollback does not try to undo an action twice and fail part-way.
func TestJournalDuplicatesAreReadOnce(t *testing.T) {
	result := `{"id":"r1-2","time":"2026-01-01T00:00:01Z","runId":"r1","kind":"result","step":2,"target":"n1","action":"a","status":"succeeded"}` + "\n"
	copied := strings.Replace(result, `"time":"2026-01-01T00:00:01Z"`, `"time":"2026-01-01T00:00:09Z"`, 1)
	intent := `{"id":"r1-1","time":"2026-01-01T00:00:00Z","runId":"r1","kind":"intent","step":2,"target":"n1","action":"a"}` + "\n"
	for name, data := range map[string]string{"same line": intent + result + result, "same id": intent + result + copied} {
		recs, err := parseRecords([]byte(data), "j")
		if err != nil {
			t.Fatal(err)
		}
		if a := applied(recs, 2, "n1"); len(a) != 1 {
			t.Errorf("%s: applied lists %d records, want the action once", name, len(a))
		}
	}
	// Two results of one action run with different IDs (written by two processes)
	// still make one undo.
	other := strings.Replace(copied, `"id":"r1-2"`, `"id":"r1-3"`, 1)
	recs, _ := parseRecords([]byte(intent+result+other), "j")
	if a := applied(recs, 2, "n1"); len(a) != 1 {
		t.Errorf("applied lists %d records for one action run, want 1", len(a))
	}
}

// A record longer than any fixed reader buffer (17 MB of a node's output) leaves the
// journal readable; every written record gets an ID.
func TestJournalReadsLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.journal.jsonl")
	j, err := OpenJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if err := j.write(Record{Time: time.Now(), RunID: "r1", Kind: KindResult, Step: 1, Target: "n1", Action: "a", Status: StatusFailed, Error: strings.Repeat("x", 17<<20)}); err != nil {
		t.Fatal(err)
	}
	if err := j.write(Record{Time: time.Now(), RunID: "r1", Kind: KindRunEnd}); err != nil {
		t.Fatal(err)
	}
	recs, err := j.Records()
	if err != nil || len(recs) != 2 {
		t.Fatalf("read %d records, err %v; want 2", len(recs), err)
	}
	if recs[0].ID == "" || recs[0].ID == recs[1].ID {
		t.Errorf("records have IDs %q and %q, want two distinct ones", recs[0].ID, recs[1].ID)
	}
}
