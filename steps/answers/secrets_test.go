package answers

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const canary = "Canary-9b1e'\"pw"

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secrets.env")
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadSecretsFileAndEnvironment(t *testing.T) {
	path := writeFile(t, strings.Join([]string{
		"# lab secrets",
		"SSISHA_WINRM_PASSWORD='from file'",
		`SSISHA_SQL_PASSWORD="quoted # not a comment"`,
		"export SSISHA_LOGGING_PASSWORD=Str0ng!Passw0rd",
		"SSISHA_PFX_PASSWORD='it''s'",
		"SSISHA_WINRM_USER=CONTOSO\\admin",
		"",
	}, "\n"), 0o600)
	s, err := LoadSecrets(envMap(map[string]string{"SSISHA_WINRM_PASSWORD": "from env"}), path)
	if err != nil {
		t.Fatalf("LoadSecrets: %v", err)
	}
	tests := map[string]string{
		EnvWinRMPassword:     "from env",
		EnvSQLPassword:       "quoted # not a comment",
		EnvLoggingPassword:   "Str0ng!Passw0rd",
		EnvPFXPassword:       "it''s",
		EnvMasterKeyPassword: "",
	}
	for env, want := range tests {
		if got := s.Get(env).Reveal(); got != want {
			t.Errorf("%s = %q, want %q", env, got, want)
		}
	}
	if got := s.User(EnvWinRMUser); got != `CONTOSO\admin` {
		t.Errorf("winrm user = %q", got)
	}
	if got := s.Get(EnvWinRMPassword).String(); got != "<secret:winrm-password>" {
		t.Errorf("placeholder = %q", got)
	}
}

func TestLoadSecretsRefusesReadableFile(t *testing.T) {
	path := writeFile(t, "SSISHA_WINRM_PASSWORD="+canary+"\n", 0o644)
	_, err := LoadSecrets(nil, path)
	if err == nil {
		t.Fatal("a mode 0644 secrets file was accepted")
	}
	for _, want := range []string{"mode 0644", "chmod 600 " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "Canary") {
		t.Errorf("error contains the secret: %v", err)
	}
}

func TestLoadSecretsFileErrorsHideValues(t *testing.T) {
	tests := []struct{ content, want string }{
		{"SSISHA_WINRM_PASSWORD=ok\nSSISHA_NOPE=" + canary + "\n", "line 2: the key is not a name ssisha reads"},
		// A password line that lost its key: the text before = is part of it.
		{"Canary_part=" + canary + "\n", "line 1: the key is not a name ssisha reads"},
		{canary + "\n", "line 1: expected KEY=VALUE"},
		{"Canary 9=" + canary + "\n", "line 1: the key is not a name"},
	}
	for _, tt := range tests {
		path := writeFile(t, tt.content, 0o600)
		_, err := LoadSecrets(nil, path)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v does not contain %q", err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Canary") {
			t.Errorf("error contains the secret: %v", err)
		}
	}
}

func TestWriteSecretsFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secrets.env")
	values := map[string]string{
		EnvWinRMPassword:   canary,
		EnvLoggingPassword: " spaced ",
		EnvPFXPassword:     "'quoted'",
		EnvSQLUser:         "sa",
	}
	if err := WriteSecretsFile(path, values); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %04o, want 0600", info.Mode().Perm())
	}
	s, err := LoadSecrets(nil, path)
	if err != nil {
		t.Fatal(err)
	}
	for env, want := range values {
		got := s.User(env)
		if env != EnvSQLUser {
			got = s.Get(env).Reveal()
		}
		if got != want {
			t.Errorf("%s = %q, want %q", env, got, want)
		}
	}
	if err := WriteSecretsFile(path, map[string]string{EnvPFXPassword: "a\nb"}); err == nil || strings.Contains(err.Error(), "a\nb") {
		t.Errorf("a value with a line break: err = %v", err)
	}
	if err := WriteSecretsFile(path, map[string]string{"SSISHA_X": "v"}); err == nil {
		t.Error("an unknown key was written")
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	s := &Secrets{}
	for _, spec := range SecretSpecs() {
		if err := s.Set(spec.Env, canary+spec.Env); err != nil {
			t.Fatal(err)
		}
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(verb, s); strings.Contains(out, "Canary") {
			t.Errorf("%s of Secrets shows a secret: %s", verb, out)
		}
		if out := fmt.Sprintf(verb, *s); strings.Contains(out, "Canary") {
			t.Errorf("%s of Secrets value shows a secret: %s", verb, out)
		}
	}
	red := s.Redactor().Redact("login failed for " + canary + EnvLoggingPassword)
	if strings.Contains(red, "Canary") {
		t.Errorf("Redactor left a secret: %s", red)
	}
	if len(s.All()) != len(SecretSpecs()) {
		t.Errorf("All() = %d secrets, want %d", len(s.All()), len(SecretSpecs()))
	}
	if err := s.Set("SSISHA_TYPO", canary); err == nil || strings.Contains(err.Error(), "Canary") {
		t.Errorf("Set of an unknown name: %v", err)
	}
}

func TestMarshalHasNoSecrets(t *testing.T) {
	a := Example()
	s := &Secrets{}
	for _, spec := range SecretSpecs() {
		_ = s.Set(spec.Env, canary)
	}
	out, err := Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "Canary") || strings.Contains(strings.ToLower(string(out)), "password") {
		t.Errorf("Marshal output carries a secret:\n%s", out)
	}
	// Answers has no field that could hold a secret.
	if hasSecretField(reflect.TypeOf(Answers{})) {
		t.Error("Answers has a field of type script.Secret")
	}
}

func hasSecretField(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct:
		if t.Name() == "Secret" {
			return true
		}
		for i := 0; i < t.NumField(); i++ {
			if hasSecretField(t.Field(i).Type) {
				return true
			}
		}
	case reflect.Slice, reflect.Pointer, reflect.Map:
		return hasSecretField(t.Elem())
	}
	return false
}

func TestMissing(t *testing.T) {
	envs := func(specs []SecretSpec) string {
		var names []string
		for _, s := range specs {
			names = append(names, strings.TrimPrefix(s.Env, "SSISHA_"))
		}
		return strings.Join(names, " ")
	}
	defer func(os string) { clientOS = os }(clientOS)
	tests := []struct {
		name   string
		os     string
		change func(a *Answers, s *Secrets)
		want   string
	}{
		{"example from linux", "linux", func(*Answers, *Secrets) {},
			"WINRM_PASSWORD MASTER_ACCOUNT_PASSWORD WORKER_ACCOUNT_PASSWORD LOGGING_PASSWORD MASTER_KEY_PASSWORD PFX_PASSWORD"},
		{"kerberos, no workers", "linux", func(a *Answers, _ *Secrets) {
			a.Connection.WinRM.Auth = "kerberos"
			a.Workers = nil
		}, "MASTER_ACCOUNT_PASSWORD LOGGING_PASSWORD MASTER_KEY_PASSWORD PFX_PASSWORD"},
		{"sql auth", "windows", func(a *Answers, _ *Secrets) { a.Connection.SQL.Auth = "sql" },
			"WINRM_PASSWORD SQL_PASSWORD MASTER_ACCOUNT_PASSWORD WORKER_ACCOUNT_PASSWORD LOGGING_PASSWORD MASTER_KEY_PASSWORD PFX_PASSWORD"},
		{"windows user from linux", "linux", func(a *Answers, _ *Secrets) { a.Connection.SQL.User = `CONTOSO\dba` },
			"WINRM_PASSWORD SQL_PASSWORD MASTER_ACCOUNT_PASSWORD WORKER_ACCOUNT_PASSWORD LOGGING_PASSWORD MASTER_KEY_PASSWORD PFX_PASSWORD"},
		{"windows user from windows", "windows", func(a *Answers, _ *Secrets) { a.Connection.SQL.User = `CONTOSO\dba` },
			"WINRM_PASSWORD MASTER_ACCOUNT_PASSWORD WORKER_ACCOUNT_PASSWORD LOGGING_PASSWORD MASTER_KEY_PASSWORD PFX_PASSWORD"},
		{"some given, certificate auth", "linux", func(a *Answers, s *Secrets) {
			a.Connection.WinRM.Auth = "certificate"
			_ = s.Set(EnvLoggingPassword, "x")
			_ = s.Set(EnvPFXPassword, "x")
		}, "MASTER_ACCOUNT_PASSWORD WORKER_ACCOUNT_PASSWORD MASTER_KEY_PASSWORD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clientOS = tt.os
			a, s := Example(), &Secrets{}
			tt.change(a, s)
			if got := envs(s.Missing(a)); got != tt.want {
				t.Errorf("Missing = %s\nwant      %s", got, tt.want)
			}
		})
	}
}

func TestSecretSpecs(t *testing.T) {
	specs := SecretSpecs()
	if len(specs) != 7 {
		t.Fatalf("%d specs, want 7", len(specs))
	}
	for _, s := range specs {
		if !strings.HasPrefix(s.Env, "SSISHA_") || s.Label == "" || s.Help == "" || s.Kind == 0 {
			t.Errorf("incomplete spec %+v", s)
		}
		if (&Secrets{}).field(s.Env) == nil {
			t.Errorf("%s has no Secrets field", s.Env)
		}
	}
}

func TestSecretsCheckRefusesWhatCannotBeCarried(t *testing.T) {
	tests := []struct{ env, v, want string }{
		{EnvLoggingPassword, "Str0ng'Passw0rd", "connection string"},
		{EnvMasterKeyPassword, "Ab1!x", "at least 8"},
		{EnvMasterAccountPassword, `Serv"ice1pass`, "setup.exe"},
		{EnvPFXPassword, "Pfx-pass\nword", "control character"},
		{EnvPFXPassword, "node1", "at least 8"},
	}
	for _, tt := range tests {
		s := &Secrets{}
		if err := s.Set(tt.env, tt.v); err != nil {
			t.Fatal(err)
		}
		errs := s.Check()
		if len(errs) != 1 || !strings.Contains(errs[0].Error(), tt.want) || errs[0].Path != tt.env {
			t.Errorf("%s: Check = %v, want one problem containing %q", tt.env, errs, tt.want)
		}
		if strings.Contains(errs.Error(), tt.v) {
			t.Errorf("%s: the problem shows the value: %v", tt.env, errs)
		}
	}
	s := &Secrets{}
	_ = s.Set(EnvLoggingPassword, "Str0ng!Passw0rd")
	_ = s.Set(EnvPFXPassword, "long-enough-pfx")
	if errs := s.Check(); len(errs) != 0 {
		t.Errorf("good secrets refused: %v", errs)
	}
}
