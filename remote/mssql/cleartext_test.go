package mssql

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssisha/ssisha/remote"
	"github.com/ssisha/ssisha/remote/script"
)

// A batch that carries a secret is refused over a connection that is not encrypted,
// unless that is allowed; other batches, and encrypted connections, pass.
func TestSecretsAreNotSentInClearText(t *testing.T) {
	withSecret := script.TSQL{Op: "sql.login.logging.set", Params: []script.Param{{Name: "pw", Value: script.NewSecret("logging-password", "Canary-Pa55word!")}}}
	plain := script.TSQL{Op: "sql.server.facts", Params: []script.Param{{Name: "x", Value: "1"}}}
	tests := []struct {
		encrypt string
		allow   bool
		b       script.TSQL
		refused bool
	}{
		{remote.EncryptFalse, false, withSecret, true},
		{remote.EncryptDisable, false, withSecret, true},
		{remote.EncryptFalse, true, withSecret, false},
		{remote.EncryptFalse, false, plain, false},
		{remote.EncryptTrue, false, withSecret, false},
		{remote.EncryptStrict, false, withSecret, false},
	}
	for _, tt := range tests {
		c := &Client{cfg: remote.Config{SQL: remote.SQLOptions{Encrypt: tt.encrypt, AllowCleartextSecrets: tt.allow}}}
		err := c.checkCleartext("node1", tt.b)
		if refused := errors.Is(err, ErrCleartextSecrets); refused != tt.refused {
			t.Errorf("encrypt %s, allow %v, %s: error %v, want refused %v", tt.encrypt, tt.allow, tt.b.Op, err, tt.refused)
		}
		if err != nil && (strings.Contains(err.Error(), "Canary") || !strings.Contains(err.Error(), "--allow-cleartext-secrets")) {
			t.Errorf("the refusal shows the secret or does not say how to allow it: %v", err)
		}
	}
}
