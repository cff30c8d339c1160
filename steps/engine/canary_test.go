package engine

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/steps"
)

// TestCanarySecretReachesNoArtifact runs plan, bundle, a failing apply, verify and
// rollback with steps that push a password into every channel they have (command
// parameters, progress lines, errors, undo data, blocked reasons, check details),
// then looks for it in everything a person or a file can see.
func TestCanarySecretReachesNoArtifact(t *testing.T) {
	w := newWorld(t, 3)
	dir := t.TempDir()
	logSub, logCloser, err := LogFile(filepath.Join(dir, "logs", "run.log"))
	if err != nil {
		t.Fatal(err)
	}
	s1 := newFakeStep(1, steps.EachMaster, w.tr, "a", "b")
	s1.secret = w.secret()
	s2 := newFakeStep(2, steps.EachMaster, w.tr, "a")
	s2.secret = w.secret()
	s2.failOn = map[string]bool{"node3.contoso.com": true}
	s2.verifyFails = map[string]bool{"node2.contoso.com": true}
	s3 := newFakeStep(3, steps.EachSecondary, w.tr, "a")
	s3.secret = w.secret()
	s3.blocked = map[string]bool{"node2.contoso.com": true}
	e := w.engineWith(Options{Subscribers: []Subscriber{logSub}}, s1, s2, s3)
	ctx := testCtx(t)

	var texts []string
	p, err := e.Plan(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle")
	if err := e.WriteBundle(p, bundle); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Apply(ctx, p, nil)
	if err == nil {
		t.Fatal("Apply succeeded; the test needs a failure to check error text")
	}
	texts = append(texts, err.Error(), rep.Markdown())
	if _, err := e.Apply(ctx, nil, []int{3}); err != nil {
		texts = append(texts, err.Error())
	}
	s2.failOn = nil
	vr, err := e.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, vr.Markdown())
	rb, err := e.Rollback(ctx, nil)
	if err != nil {
		texts = append(texts, err.Error())
	}
	texts = append(texts, rb.Markdown())
	if err := logCloser.Close(); err != nil {
		t.Fatal(err)
	}

	// The nodes did receive it: the canary is a real secret that reached the wire.
	if !strings.Contains(strings.Join(w.remote.sent, "\n"), canary) {
		t.Fatal("the canary never reached the remote; the test proves nothing")
	}
	for i, s := range texts {
		mustNotContain(t, "returned error or report "+string(rune('A'+i)), s)
	}
	mustNotContain(t, "JSON events", w.json.String())
	mustNotContain(t, "text events", w.text.String())
	for _, ev := range w.events.all() {
		if strings.Contains(ev.Message+ev.Error+ev.Script+ev.Summary+ev.Fix, canary) {
			t.Errorf("event %s carries the canary", ev.Kind)
		}
	}
	for _, path := range []string{w.journal.Path(), filepath.Join(dir, "logs", "run.log")} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, path, string(b))
		if len(b) == 0 {
			t.Errorf("%s is empty", path)
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "logs", "run.log"))
	if !strings.Contains(string(log), "<secret:master-key-password>") {
		t.Errorf("the log does not show the scripts with their placeholders:\n%s", log)
	}
	files := 0
	err = filepath.WalkDir(bundle, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		mustNotContain(t, path, string(b))
		return err
	})
	if err != nil || files < 3 {
		t.Errorf("bundle walk: %v, %d files", err, files)
	}
}
