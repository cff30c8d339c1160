package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/ssisha/ssisha/envvar"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps"
)

// RecordKind says what a journal line records.
type RecordKind string

// The kinds of journal record. An intent is written, and synced, before the remote
// call; its result after it. An intent without a result is an interrupted action.
const (
	KindRunStart   RecordKind = "run-start"
	KindRunEnd     RecordKind = "run-end"
	KindIntent     RecordKind = "intent"
	KindResult     RecordKind = "result"
	KindUndoIntent RecordKind = "undo-intent"
	KindUndoResult RecordKind = "undo-result"
)

// StatusInterrupted marks the result a later run writes for an action that an earlier
// run started and never finished, once it has re-detected the target. An interrupted
// action the node finished is recorded as succeeded instead when its intent carries an
// undo hint (see Resolution).
const StatusInterrupted Status = "interrupted"

// Resolution says, on the result a later run writes for an interrupted action, what
// the re-detection found.
type Resolution string

// The resolutions of an interrupted action.
const (
	// ResolvedDone: the re-detection no longer lists the action, so the node finished
	// it. With the intent's undo hint the result is succeeded and rollback undoes it
	// from the hint; without one it is interrupted and rollback reports it.
	ResolvedDone Resolution = "found-done"
	// ResolvedAgain: the re-detection still lists the action; the run runs it again
	// and journals that run itself.
	ResolvedAgain Resolution = "runs-again"
	// ResolvedUnknown: the re-detection failed or is blocked, so whether the node
	// finished the action is not known.
	ResolvedUnknown Resolution = "unknown"
)

// Record is one line of the journal. It holds no secrets: every string is redacted
// before it is written.
type Record struct {
	// ID names the record itself: a record read twice (a line duplicated by a copy or
	// a sync tool) counts once.
	ID     string     `json:"id,omitempty"`
	Time   time.Time  `json:"time"`
	RunID  string     `json:"runId"`
	Kind   RecordKind `json:"kind"`
	Step   int        `json:"step,omitempty"`
	Target string     `json:"target,omitempty"`
	Role   string     `json:"role,omitempty"`
	Action string     `json:"action,omitempty"`
	// Ref is the run whose intent or result this record answers, when it is written
	// by a later run (an undo, or the resolution of an interrupted action).
	Ref     string `json:"ref,omitempty"`
	Summary string `json:"summary,omitempty"`
	Status  Status `json:"status,omitempty"`
	Error   string `json:"error,omitempty"`
	// Undo is, on a result, what Apply returned for the undo; on an intent, the
	// action's undo hint (steps.Action.UndoHint), which a later run uses when the
	// result was never written.
	Undo         steps.Undo `json:"undo,omitempty"`
	Irreversible string     `json:"irreversible,omitempty"`
	// Resolution and Note are set on the result a later run writes for an interrupted
	// action: what the re-detection found, in a word and in the DBA's words.
	Resolution Resolution `json:"resolution,omitempty"`
	Note       string     `json:"note,omitempty"`
	// SkippedChecks, on a run's start, names the preflight checks the user chose to
	// skip for that run.
	SkippedChecks []string `json:"skippedChecks,omitempty"`
}

// origin identifies the action run a record belongs to: the same for an intent, its
// result, and the undo of that result.
func (r Record) origin() string {
	return fmt.Sprintf("%s\x00%d\x00%s\x00%s", r.originRun(), r.Step, strings.ToLower(r.Target), r.Action)
}

// originRun is the run that started the action the record belongs to: its own run,
// or the one it refers to when a later run wrote it (the result of a resumed action).
func (r Record) originRun() string {
	if r.Ref != "" {
		return r.Ref
	}
	return r.RunID
}

// unrecorded reports whether r is the result of an interrupted action that the node
// finished but whose intent carried no undo hint: rollback cannot undo it and says so.
func (r Record) unrecorded() bool {
	return r.Kind == KindResult && r.Status == StatusInterrupted && r.Resolution == ResolvedDone && len(r.Undo) == 0
}

// Journal is an append-only JSON Lines file of what runs did, synced after every line,
// so that an interrupted run can be resumed and a finished one rolled back.
type Journal struct {
	path string
	mu   sync.Mutex
	f    *os.File
	red  *script.Redactor
}

// OpenJournal opens (creating, mode 0600) the journal at path.
func OpenJournal(path string) (*Journal, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the folder for the journal %s: %w; choose another place with %s", path, err, envvar.StateDir)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot open the journal %s: %w; check its permissions or set %s", path, err, envvar.StateDir)
	}
	// A journal made by hand or by an older copy may be readable by others; it must not be.
	_ = f.Chmod(0o600)
	if err := dropTornTail(path); err != nil {
		_ = f.Close()
		return nil, err
	}
	return &Journal{path: path, f: f}, nil
}

// dropTornTail removes a last line the process died while writing, before anything
// is appended after it: left in place it would glue itself to the next record and
// spoil the journal for every later run. Nothing is lost by dropping it: a torn intent
// was never followed by its remote action (the intent is synced first), and a torn
// result leaves its intent open, which the next run re-detects on the node.
func dropTornTail(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read the journal %s: %w", path, err)
	}
	if len(data) == 0 || data[len(data)-1] == '\n' {
		return nil
	}
	keep := bytes.LastIndexByte(data, '\n') + 1
	if err := os.Truncate(path, int64(keep)); err != nil {
		return fmt.Errorf("cannot repair the torn last line of the journal %s: %w", path, err)
	}
	return nil
}

// DefaultJournalPath is where the journal of a cluster lives: under SSISHA_STATE_DIR
// when set, else the user's state folder (XDG_STATE_HOME or ~/.local/state; the
// configuration folder on Windows and macOS), in ssisha/<cluster>.journal.jsonl.
func DefaultJournalPath(cluster string) (string, error) {
	file, err := JournalFileName(cluster)
	if err != nil {
		return "", err
	}
	if d := os.Getenv(envvar.StateDir); d != "" {
		return filepath.Join(d, file), nil
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ssisha", file), nil
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("cannot find the folder for the journal: %w; set %s", err, envvar.StateDir)
		}
		return filepath.Join(d, "ssisha", file), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the folder for the journal: %w; set %s", err, envvar.StateDir)
	}
	return filepath.Join(home, ".local", "state", "ssisha", file), nil
}

// JournalFileName is the name of a cluster's journal file, without its folder:
// <cluster>.journal.jsonl.
func JournalFileName(cluster string) (string, error) {
	name := fileSafe(cluster)
	if name == "" {
		return "", errors.New("cannot name the journal: the cluster name (cluster.name) is empty; set it in the answers")
	}
	return name + ".journal.jsonl", nil
}

// fileSafe lower-cases name and keeps only characters safe in a file name everywhere.
func fileSafe(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// UseRedactor sets the redactor every record passes through before it is written.
func (j *Journal) UseRedactor(r *script.Redactor) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.red = r
}

// Close closes the file.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// write appends rec and syncs it to disk before returning, so that an intent is
// durable before the remote call it announces.
func (j *Journal) write(rec Record) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("the journal %s is closed", j.path)
	}
	if rec.ID == "" {
		rec.ID = newRecordID()
	}
	r := j.red
	redactText(r, &rec.Target, &rec.Role, &rec.Action, &rec.Summary, &rec.Error, &rec.Irreversible, &rec.Note)
	if rec.Undo != nil {
		rec.Undo = redactUndo(r, rec.Undo)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		return fmt.Errorf("cannot encode a journal record for step %d on %s: %w", rec.Step, rec.Target, err)
	}
	if _, err := j.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("cannot write the journal %s: %w; check free space and permissions", j.path, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("cannot sync the journal %s to disk: %w; check free space and permissions", j.path, err)
	}
	return nil
}

// Records reads every record from disk, oldest first. A torn last line (the process
// died while writing it) is ignored; a torn line elsewhere is an error.
func (j *Journal) Records() ([]Record, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	data, err := os.ReadFile(j.path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the journal %s: %w", j.path, err)
	}
	return parseRecords(data, j.path)
}

// parseRecords reads the records of a journal's bytes. A line may be any length: the
// records hold what a node said, and no limit of the reader may make a journal
// unreadable. A record seen before (by ID, or the same line when it has none) is
// read once.
func parseRecords(data []byte, path string) ([]Record, error) {
	var out []Record
	seen := map[string]bool{}
	line := 0
	var bad error
	for len(data) > 0 {
		var raw []byte
		raw, data, _ = bytes.Cut(data, []byte{'\n'})
		line++
		text := bytes.TrimSpace(raw)
		if len(text) == 0 {
			continue
		}
		if bad != nil {
			return nil, bad
		}
		var rec Record
		if err := json.Unmarshal(text, &rec); err != nil {
			bad = fmt.Errorf("the journal %s is damaged at line %d: %w; move it aside to start a new one (undo then needs manual work)", path, line, err)
			continue
		}
		key := "id\x00" + rec.ID
		if rec.ID == "" {
			key = "line\x00" + string(text)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, rec)
	}
	return out, nil
}

// newRecordID is a random record ID.
func newRecordID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Pending returns the intents (and undo intents) that have no result: actions a run
// started and never finished.
func (j *Journal) Pending() []Record {
	recs, err := j.Records()
	if err != nil {
		return nil
	}
	return pending(recs)
}

// Interrupted is what a resume offer names: the actions a run started and never
// finished (Pending); when there are none but the last apply stopped before it
// finished, the one record Unfinished returns.
func (j *Journal) Interrupted() []Record {
	if p := j.Pending(); len(p) > 0 {
		return p
	}
	if u := j.Unfinished(); u != nil {
		return []Record{*u}
	}
	return nil
}

// Unfinished returns, when the journal's last apply (with no rollback after it) ended before it finished (stopped
// by the user, cancelled, or the process died between two actions), a record that
// says so: a run-end record of that run with the status it ended with (cancelled when
// it never wrote one). It returns nil when the last apply finished, succeeded or
// failed, or when there was none.
func (j *Journal) Unfinished() *Record {
	recs, err := j.Records()
	if err != nil {
		return nil
	}
	return unfinished(recs)
}

func unfinished(recs []Record) *Record {
	// The last apply or rollback decides: a rollback after a stopped apply means the
	// DBA moved on, and nothing is offered.
	last := -1
	for i, r := range recs {
		if r.Kind == KindRunStart && (r.Summary == "apply" || r.Summary == "rollback") {
			last = i
		}
	}
	if last < 0 || recs[last].Summary != "apply" {
		return nil
	}
	start := recs[last]
	for _, r := range recs[last+1:] {
		if r.Kind == KindRunEnd && r.RunID == start.RunID {
			if r.Status != StatusCancelled {
				return nil
			}
			end := r
			return &end
		}
	}
	return &Record{Time: start.Time, RunID: start.RunID, Kind: KindRunEnd, Summary: "apply", Status: StatusCancelled,
		Error: "the run ended without recording its end"}
}

func pending(recs []Record) []Record {
	answered := map[string]bool{}
	for _, r := range recs {
		switch r.Kind {
		case KindResult:
			answered["do\x00"+r.origin()] = true
		case KindUndoResult:
			answered["undo\x00"+r.origin()] = true
		}
	}
	var out []Record
	for _, r := range recs {
		switch {
		case r.Kind == KindIntent && !answered["do\x00"+r.origin()]:
			out = append(out, r)
		case r.Kind == KindUndoIntent && !answered["undo\x00"+r.origin()]:
			out = append(out, r)
		}
	}
	return out
}

// Applied returns the succeeded results for step on target that have not been undone
// since, newest first: what a rollback has to reverse.
func (j *Journal) Applied(step int, target string) []Record {
	recs, err := j.Records()
	if err != nil {
		return nil
	}
	return applied(recs, step, target)
}

func applied(recs []Record, step int, target string) []Record {
	return undoable(recs, step, target, false)
}

// undoable is applied, with withUnrecorded also the interrupted actions found done
// without an undo hint, which rollback reports instead of passing over.
func undoable(recs []Record, step int, target string, withUnrecorded bool) []Record {
	undone := map[string]bool{}
	for _, r := range recs {
		if r.Kind == KindUndoResult && r.Status == StatusUndone {
			undone[r.origin()] = true
		}
	}
	var out []Record
	// One action run is undone once, however many results record it.
	listed := map[string]bool{}
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		want := r.Kind == KindResult && r.Status == StatusSucceeded
		if withUnrecorded && r.unrecorded() {
			want = true
		}
		if !want || r.Step != step {
			continue
		}
		if target != "" && !strings.EqualFold(r.Target, target) {
			continue
		}
		if !undone[r.origin()] && !listed[r.origin()] {
			listed[r.origin()] = true
			out = append(out, r)
		}
	}
	return out
}
