package remote

import "testing"

func TestChoiceList(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"ntlm"}, "ntlm"},
		{[]string{"windows", "sql"}, "windows or sql"},
		{SQLAuthModes(), "windows, sql or kerberos"},
		{EncryptModes(), "strict, true, false or disable"},
	} {
		if got := ChoiceList(c.in); got != c.want {
			t.Errorf("ChoiceList(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
