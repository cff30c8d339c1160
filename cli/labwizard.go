package cli

import (
	"io"
	"strings"

	ssisha "github.com/ssisha/ssisha/app"
	"github.com/ssisha/ssisha/remote/lab"
	"github.com/ssisha/ssisha/sqlversion"
	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui"
)

// LabWizardOptions shape the lab and the wizard of NewLabWizard.
type LabWizardOptions struct {
	// Masters and Workers are the lab's nodes: at least 2 masters, 0 to 200 workers.
	Masters, Workers int
	// Speed is the share of a real estate's operation times the lab spends, as
	// `ssisha lab --speed` (0: none).
	Speed float64
	// UI are the wizard's display options (Color, ASCII, …); NewLabWizard fills in the
	// backend, the answers and the secrets, and the answer file's path (in the lab's
	// directory) unless UI names one.
	UI ui.Options
}

// LabWizard is the wizard of `ssisha lab` for a program the caller runs itself: the
// model with the real backend, against a lab started in this process, with the
// answers and secrets that point at the lab filled in.
type LabWizard struct {
	// Model is the wizard, ready for a tea.Program.
	Model ui.Model
	// Lab is the lab the wizard works on, for its secrets and faults.
	Lab *lab.Lab
	// Answers and Secrets are those the wizard starts with. It writes what is typed
	// into them from its own goroutine: read them before the program runs.
	Answers *answers.Answers
	Secrets *answers.Secrets

	backend *ssisha.Session
	stop    func()
}

// NewLabWizard starts a lab in a temporary directory and builds the wizard against
// it as `ssisha lab` does, but without reading the environment: the journal and the
// lab's state stay in that directory. Close releases it all.
func NewLabWizard(opts LabWizardOptions) (*LabWizard, error) {
	f := labFlags{masters: opts.Masters, workers: opts.Workers, sqlVersion: sqlversion.Default, speed: opts.Speed, encrypt: "tls"}
	if err := f.check(); err != nil {
		return nil, err
	}
	// No environment: what the wizard shows must not depend on the machine it runs on.
	a := newApp(BuildInfo{}, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	o := opts.UI
	l, b, stop, err := a.setUpLabWizard(f, &o)
	if err != nil {
		return nil, err
	}
	if opts.UI.AnswersPath != "" {
		o.AnswersPath = opts.UI.AnswersPath
	}
	return &LabWizard{Model: ui.NewModel(o), Lab: l, Answers: o.Answers, Secrets: o.Secrets, backend: b, stop: stop}, nil
}

// Close waits for any apply or rollback the wizard started to stop (the program must
// have ended, or cancelled them), then closes the connections and the lab and removes
// its directory.
func (w *LabWizard) Close() {
	w.backend.Wait()
	w.stop()
}
