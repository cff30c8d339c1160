package steps

import (
	"context"
	"fmt"
	"strings"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
	"github.com/ssisha/ssisha/steps/answers"
)

// Step 6 gives the logging login a known password on the primary, the same login
// (same password, same SID, so the SSISDB user maps after a failover) on every
// secondary, and stores a listener-based logging connection in SSISDB. The password
// only ever travels as a parameter and is checked with PWDCOMPARE, never read back.
type loggingStep struct{}

// NewLoggingStep returns step 6.
func NewLoggingStep() Step { return loggingStep{} }

func (loggingStep) ID() int       { return 6 }
func (loggingStep) Title() string { return "Package execution logging across replicas" }
func (loggingStep) Scope() Scope  { return EachMaster }

// loggingPasswordIrreversible says why the password change cannot be undone.
const loggingPasswordIrreversible = "the original random password of " + LoggingLoginName +
	" cannot be recovered; EXEC SSISDB.catalog.enable_scaleout makes a new one (and desynchronises the secondaries)"

func loggingLogin(a *answers.Answers) string {
	if a.Logging.Login != "" {
		return a.Logging.Login
	}
	return LoggingLoginName
}

type loginFacts struct {
	Exists, Disabled, PasswordMatches, IntegratedOnly bool
	SID                                               []byte
}

func readLoginFacts(ctx context.Context, env *Env, host string, pw script.Secret) (loginFacts, error) {
	return env.Projection.loginFacts(env, host, func() (loginFacts, error) { return readLoginFactsNow(ctx, env, host, pw) })
}

func readLoginFactsNow(ctx context.Context, env *Env, host string, pw script.Secret) (loginFacts, error) {
	rs, err := env.SQL(ctx, host, tsqlLoggingFacts(loggingLogin(env.Answers), pw))
	if err != nil {
		return loginFacts{}, fmt.Errorf("reading the logging login on %s: %w", host, err)
	}
	r := Row(rs)
	sid, _ := r["sid"].([]byte)
	return loginFacts{Exists: Int(r["login_exists"]) == 1, Disabled: Int(r["is_disabled"]) == 1, PasswordMatches: Int(r["password_matches"]) == 1,
		IntegratedOnly: Int(r["integrated_only"]) == 1, SID: sid}, nil
}

func (loggingStep) Detect(ctx context.Context, env *Env, t Target) (Detection, error) {
	a := env.Answers
	login := loggingLogin(a)
	var pw script.Secret
	if env.Secrets != nil {
		pw = env.Secrets.LoggingPassword
	}
	if err := answers.ValidatePassword(answers.LoggingPassword, pw.Reveal(), login); err != nil {
		return Detection{State: StateBlocked, Reason: "the logging login password cannot be used: " + env.Redactor.Redact(err.Error()),
			Fix: "set SSISHA_LOGGING_PASSWORD (or the secrets file) to a password that meets it"}, nil
	}
	self, err := readLoginFacts(ctx, env, t.Host, pw)
	if err != nil {
		return Detection{}, err
	}
	facts := map[string]any{"loginExists": self.Exists, "sid": fmt.Sprintf("0x%X", self.SID), "passwordMatches": self.PasswordMatches, "mixedMode": !self.IntegratedOnly}
	if self.IntegratedOnly {
		return Detection{State: StateBlocked, Facts: facts,
			Reason: "only Windows authentication is allowed on " + t.Host + "; workers log with a SQL login, so packages would succeed but log nothing",
			Fix:    "set Server authentication to \"SQL Server and Windows Authentication mode\" on " + t.Host + " and restart the engine"}, nil
	}
	f, err := readReplicaFacts(ctx, env, t.Host)
	if err != nil {
		return Detection{}, err
	}
	if f.ListenerDNS == "" {
		return Detection{State: StateBlocked, Facts: facts, Reason: "the listener does not exist yet (as seen from " + t.Host + ")", Fix: "apply step 4 first"}, nil
	}
	if agRole(t, f) == "primary" {
		return detectLoggingPrimary(ctx, env, t, self, facts, pw)
	}
	return detectLoggingSecondary(ctx, env, t, self, facts, pw)
}

func detectLoggingPrimary(ctx context.Context, env *Env, t Target, self loginFacts, facts map[string]any, pw script.Secret) (Detection, error) {
	a := env.Answers
	login := loggingLogin(a)
	if !self.Exists {
		return Detection{State: StateBlocked, Facts: facts, Reason: login + " does not exist on the primary " + t.Host,
			Fix: "apply step 4 (catalog.enable_scaleout creates it)"}, nil
	}
	cat, err := readCatalogFacts(ctx, env, remote.Listener)
	if err != nil {
		return Detection{}, err
	}
	facts["logdbServer"] = cat.LogDBServer
	var acts []Action
	if !self.PasswordMatches {
		acts = append(acts, actSetLoggingPassword.New("Set the password of "+login,
			[]Command{SQLCommand(t.Host, tsqlLoggingSet(login, pw))}, nil))
	}
	if !self.PasswordMatches || !strings.EqualFold(cat.LogDBServer, a.ListenerAddress()) {
		acts = append(acts, actUpdateLogDB.New("Point the logging connection at "+a.ListenerAddress(),
			[]Command{SQLCommand(remote.Listener, tsqlLogDBUpdate(a.ListenerAddress(), login, pw))},
			&logDBUndo{PreviousServer: cat.LogDBServer}))
	}
	if len(acts) == 0 {
		return Detection{State: StateDone, Facts: facts}, nil
	}
	return Detection{State: StatePending, Facts: facts, Actions: acts}, nil
}

func detectLoggingSecondary(ctx context.Context, env *Env, t Target, self loginFacts, facts map[string]any, pw script.Secret) (Detection, error) {
	login := loggingLogin(env.Answers)
	primary := env.Answers.Primary().Host
	pf, err := readLoginFacts(ctx, env, primary, pw)
	if err != nil {
		return Detection{}, err
	}
	if !pf.Exists {
		return Detection{State: StateBlocked, Facts: facts, Reason: login + " does not exist on the primary " + primary,
			Fix: "apply step 4 (catalog.enable_scaleout creates it)"}, nil
	}
	facts["primarySid"] = fmt.Sprintf("0x%X", pf.SID)
	ensure := []Command{SQLCommand(t.Host, tsqlLoggingEnsure(login, pw, pf.SID))}
	switch {
	case !self.Exists:
		return Detection{State: StatePending, Facts: facts, Actions: []Action{actCreateLoggingLogin.New(
			"Create "+login+" with the primary's SID and the logging password", ensure, &loggingLoginUndo{Action: "created"})}}, nil
	case !strings.EqualFold(fmt.Sprintf("%X", self.SID), fmt.Sprintf("%X", pf.SID)):
		return Detection{State: StateDrift, Facts: facts, Actions: []Action{actRecreateLoggingLogin.New(
			"Recreate "+login+" with the primary's SID", ensure, nil)},
			Reason: fmt.Sprintf("%s on %s has SID 0x%X, the primary's is 0x%X: the SSISDB user %s would be orphaned after a failover", login, t.Host, self.SID, pf.SID, "##MS_SSISLogDBWorkerAgentUser##"),
			Fix:    "apply step 6 to recreate it with the primary's SID"}, nil
	case !self.PasswordMatches:
		return Detection{State: StateDrift, Facts: facts, Actions: []Action{secondaryPasswordAction(login, ensure)},
			Reason: login + " on " + t.Host + " has another password than the logging password: after a failover workers could not log",
			Fix:    "apply step 6 to set it"}, nil
	}
	return Detection{State: StateDone, Facts: facts}, nil
}

// The actions of step 6.
var (
	actSetLoggingPassword = &ActionDef[loggingLoginUndo]{ActionInfo: ActionInfo{ID: "set-password", Kind: KindChange,
		Summary: "Set the logging login's password", Irreversible: loggingPasswordIrreversible}, Run: applyLoggingLogin, Reverse: undoLoggingPassword}
	actCreateLoggingLogin = &ActionDef[loggingLoginUndo]{ActionInfo: ActionInfo{ID: "create-login", Kind: KindCreate,
		Summary: "Create the logging login with the primary's SID"}, Run: applyLoggingLogin, Reverse: undoCreateLoggingLogin}
	actRecreateLoggingLogin = &ActionDef[loggingLoginUndo]{ActionInfo: ActionInfo{ID: "recreate-login", Kind: KindChange,
		Summary: "Recreate the logging login with the primary's SID", Irreversible: "the dropped login's password is not known"},
		Run: applyLoggingLogin, Reverse: undoLoggingPassword}
	actUpdateLogDB = &ActionDef[logDBUndo]{ActionInfo: ActionInfo{ID: "update-logdb", Kind: KindChange,
		Summary: "Point the logging connection at the listener"}, Run: applyUpdateLogDB, Reverse: undoUpdateLogDB}
)

// Actions lists step 6's actions.
func (loggingStep) Actions() []ActionType {
	return []ActionType{actSetLoggingPassword, actCreateLoggingLogin, actRecreateLoggingLogin, actUpdateLogDB}
}

// loggingLoginUndo is what the login script did: "created", or what it changed.
type loggingLoginUndo struct {
	Action string `json:"action"`
}

// logDBUndo is the logging server before the action.
type logDBUndo struct {
	PreviousServer string `json:"previousServer"`
}

// secondaryPasswordAction sets the logging password on a secondary, whose login
// existed with a password nobody recorded.
func secondaryPasswordAction(login string, ensure []Command) Action {
	a := actSetLoggingPassword.New("Set the password of "+login, ensure, nil)
	a.Irreversible = "the previous password is not known"
	return a
}

func loggingActionError(t Target, a Action, err error, fix string) error {
	return &ActionError{Step: 6, Host: t.Host, Action: a.Summary, Err: err, Fix: fix}
}

func applyLoggingLogin(ctx context.Context, env *Env, t Target, a Action, _ loggingLoginUndo) (*loggingLoginUndo, error) {
	c := a.Commands[0]
	rs, err := env.SQL(ctx, c.Host, *c.SQL)
	if err != nil {
		fix := "run it as sysadmin on " + t.Host
		if remote.IsSQLError(err, 15116, 15118) {
			fix = "choose a logging password that meets the Windows password policy of " + t.Host
		}
		return nil, loggingActionError(t, a, err, fix)
	}
	return &loggingLoginUndo{Action: Str(Row(rs)["action"])}, nil
}

func applyUpdateLogDB(ctx context.Context, env *Env, t Target, a Action, _ logDBUndo) (*logDBUndo, error) {
	c := a.Commands[0]
	rs, err := env.SQL(ctx, c.Host, *c.SQL)
	if err != nil {
		fix := "check that SSISDB is online on the primary"
		if remote.IsSQLError(err, 15581, 33111) {
			fix = "SSISDB's master key cannot be opened on the current primary; apply step 4 on it (master key credential)"
		}
		return nil, loggingActionError(t, a, err, fix)
	}
	return &logDBUndo{PreviousServer: Str(Row(rs)["previous_server"])}, nil
}

func (loggingStep) Verify(ctx context.Context, env *Env, t Target) ([]Check, error) {
	pw := env.Secrets.LoggingPassword
	self, err := readLoginFacts(ctx, env, t.Host, pw)
	if err != nil {
		return nil, err
	}
	// On the primary itself, the login just read is the primary's.
	pf := self
	if primary := env.Answers.Primary().Host; !strings.EqualFold(primary, t.Host) {
		if pf, err = readLoginFacts(ctx, env, primary, pw); err != nil {
			return nil, err
		}
	}
	ok := func(name string, good bool, detail, bad, fix string) Check {
		if good {
			return Check{Name: name, Status: CheckSuccess, Detail: detail}
		}
		return Check{Name: name, Status: CheckFailed, Detail: bad, Fix: fix}
	}
	checks := []Check{
		ok("Mixed mode authentication", !self.IntegratedOnly, "on", "off", "enable SQL Server and Windows Authentication mode"),
		ok("Logging login", self.Exists && !self.Disabled, "present and enabled", "missing or disabled", "re-run step 6"),
		ok("Same SID as the primary", self.Exists && fmt.Sprintf("%X", self.SID) == fmt.Sprintf("%X", pf.SID), "same SID", "SID differs", "re-run step 6"),
		ok("Logging password", self.PasswordMatches, "matches", "does not match", "re-run step 6"),
	}
	if t.Role == "primary" {
		cat, err := readCatalogFacts(ctx, env, remote.Listener)
		if err != nil {
			return nil, err
		}
		want := env.Answers.ListenerAddress()
		checks = append(checks, ok("Logging server", strings.EqualFold(cat.LogDBServer, want), want, cat.LogDBServer, "re-run step 6"))
	}
	return checks, nil
}

func undoLoggingPassword(context.Context, *Env, Target, loggingLoginUndo) error {
	return irreversible(loggingPasswordIrreversible)
}

func undoCreateLoggingLogin(ctx context.Context, env *Env, t Target, u loggingLoginUndo) error {
	if u.Action != "created" {
		return irreversible("the login existed before and its previous password is not known")
	}
	if err := env.Run(ctx, SQLCommand(t.Host, tsqlLoginDrop(loggingLogin(env.Answers)))); err != nil {
		return &ActionError{Step: 6, Host: t.Host, Err: err}
	}
	return nil
}

func undoUpdateLogDB(ctx context.Context, env *Env, t Target, u logDBUndo) error {
	if u.PreviousServer == "" {
		return nil
	}
	// The previous connection string held the unrecoverable password; the restored one
	// names the previous server with the password known now.
	err := env.Run(ctx, SQLCommand(remote.Listener, tsqlLogDBUpdate(u.PreviousServer, loggingLogin(env.Answers), env.Secrets.LoggingPassword)))
	if err != nil {
		return &ActionError{Step: 6, Host: t.Host, Err: err}
	}
	return nil
}
