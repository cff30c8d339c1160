package answers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The fuzz targets' invariant: no panic, and for passwords, no error that repeats the
// password. Their seeds run as ordinary tests.

func FuzzParse(f *testing.F) {
	for _, name := range []string{"good.yaml", "mistakes.yaml", "unknown.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("masters: [{host: a}, {host: b}]\n"))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n"))
	f.Add([]byte("masterService: !!map {port: 1}\n"))
	f.Add([]byte("<<: {domain: X}\n"))
	f.Add([]byte("masters:\n  - host\n"))
	f.Add([]byte("masters:\n  ! host"))
	f.Add([]byte("masters:\n  !- host\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			return
		}
		a.ApplyDefaults()
		_ = Validate(a)
		out, err := Marshal(a)
		if err != nil {
			t.Fatalf("Marshal of parsed answers: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("Parse(Marshal(a)) failed: %v\n%s", err, out)
		}
	})
}

func FuzzValidateDomainAccount(f *testing.F) {
	for _, s := range []string{`CONTOSO\svc`, `NT Service\X`, `LocalSystem`, `a@b.c`, `.\x`, `\`, `CONTOSO\gmsa$`, "C\\\x00"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, master bool) { _ = ValidateDomainAccount(v, master) })
}

func FuzzValidateHostName(f *testing.F) {
	for _, s := range []string{"node1.contoso.com", "a_b", "10.0.0.1", ".", "-", strings.Repeat("a.", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateHostName(v) })
}

func FuzzValidateNetBIOSName(f *testing.F) {
	for _, s := range []string{"SSISCL", "a.b", "123", "-", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateNetBIOSName(v) })
}

func FuzzValidateDomainName(f *testing.F) {
	for _, s := range []string{"CONTOSO", "contoso.com", "", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateDomainName(v) })
}

func FuzzValidatePort(f *testing.F) {
	for _, n := range []int{0, 1, 65535, 65536, -1} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) {
		if err := ValidatePort(n); (err == nil) != (n >= 1 && n <= 65535) {
			t.Fatalf("ValidatePort(%d) = %v", n, err)
		}
	})
}

func FuzzValidateSQLVersion(f *testing.F) {
	for _, n := range []int{0, 2016, 2019, 2025, -5} {
		f.Add(n)
	}
	f.Fuzz(func(t *testing.T, n int) { _ = ValidateSQLVersion(n) })
}

func FuzzValidateIPv4Prefix(f *testing.F) {
	for _, s := range []string{"10.0.0.50/24", "10.0.0.0/24", "1.2.3.4/255.255.0.0", "1.2.3.4/", "/", "::1/64", "1.2.3.4/99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateIPv4Prefix(v) })
}

func FuzzValidateInstanceName(f *testing.F) {
	for _, s := range []string{"MSSQLSERVER", "DEFAULT", `A\B`, "&x", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateInstanceName(v) })
}

func FuzzValidateThumbprint(f *testing.F) {
	for _, s := range []string{"A94A8F0C21771E6D5B2C3D4E5F60718293A4B5C6", "ab cd", "\u200eAB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if err := ValidateThumbprint(v); err == nil && len(NormalizeThumbprint(v)) != 40 {
			t.Fatalf("accepted %q", v)
		}
	})
}

func FuzzValidatePassword(f *testing.F) {
	for _, s := range []string{"Str0ng!Passw0rd", "it's;bad\"", "short", "\x00", "Zq9#Zq9#" + strings.Repeat("x", 130)} {
		for k := ServiceAccountPassword; k <= ConnectionPassword; k++ {
			f.Add(int(k), s)
		}
	}
	f.Fuzz(func(t *testing.T, kind int, v string) {
		err := ValidatePassword(PasswordKind(kind), v, "svc_login")
		// Short values can occur in any English sentence; a password of eight or more
		// characters showing up in the message means it was echoed.
		if err != nil && len(v) >= 8 && strings.Contains(err.Error(), v) {
			t.Fatalf("the error repeats the password: %v", err)
		}
	})
}

func FuzzSecretsFile(f *testing.F) {
	for _, s := range []string{
		"SSISHA_WINRM_PASSWORD='x'\n# c\nexport SSISHA_SQL_USER=sa\n",
		"SSISHA_PFX_PASSWORD=\"\n",
		"Canary-secret-value\n",
		"=\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		var s Secrets
		err := s.parseFile("secrets.env", []byte(content))
		if err == nil {
			return
		}
		for _, line := range strings.Split(content, "\n") {
			_, value, ok := strings.Cut(line, "=")
			value = strings.TrimSpace(value)
			if ok && len(value) >= 12 && strings.Contains(err.Error(), value) {
				t.Fatalf("the error repeats a value: %v", err)
			}
		}
	})
}

func FuzzValidateFileShareWitness(f *testing.F) {
	for _, s := range []string{`\\fs01.contoso.com\witness\SSISCL`, `\\fs01\w`, `\\`, `\\a\`, `C:\w`, `\\a\b\\c`, `\\a\b:c`, "\\\\a\\b\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) { _ = ValidateFileShareWitness(v) })
}
