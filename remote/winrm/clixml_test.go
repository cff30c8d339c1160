package winrm

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ssisha/ssisha/remote/lab/wsman"
)

func TestDecodeCLIXML(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "plain error\r\n", "plain error"},
		{"error record", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">Access is denied._x000D__x000A_</S><S S=\"Error\">At line:1 char:1_x000D__x000A_</S></Objs>",
			"Access is denied.\nAt line:1 char:1"},
		{"progress record skipped", "#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><Obj S=\"progress\" RefId=\"0\"><TN RefId=\"0\"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N=\"SourceId\">1</I64><PR N=\"Record\"><AV>Preparing modules for first use.</AV></PR></MS></Obj><S S=\"Error\">boom_x000D__x000A_</S></Objs>",
			"boom"},
		{"escaped underscore", "#< CLIXML\r\n<Objs><S S=\"Error\">a_x005F_x000D_b &amp; &lt;c&gt;</S></Objs>", "a_x000D_b & <c>"},
		{"truncated document", "#< CLIXML\r\n<Objs><S S=\"Error\">half", "half"},
		{"not xml after header", "#< CLIXML\r\nnot xml", "#< CLIXML\nnot xml"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeCLIXML(tt.in); got != tt.want {
				t.Fatalf("DecodeCLIXML = %q, want %q", got, tt.want)
			}
		})
	}
}

// FuzzDecodeCLIXML checks that any stderr decodes without panicking, and that an
// error record as powershell.exe writes it reads back as the message.
func FuzzDecodeCLIXML(f *testing.F) {
	for _, seed := range []string{"Access is denied.", "two\nlines", "a_x000D_b", "<&>\"'", "ünï_x", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		_ = DecodeCLIXML(msg)
		_ = DecodeCLIXML("#< CLIXML\r\n" + msg)
		if !utf8.ValidString(msg) || strings.ContainsFunc(msg, func(r rune) bool {
			return (r != '\n' && unicode.IsControl(r)) || r == utf8.RuneError || r >= 0xFFFE || !unicode.IsPrint(r) && r != '\n' && r != ' '
		}) {
			return
		}
		want := strings.TrimRight(msg, "\n")
		if got := DecodeCLIXML(string(wsman.CLIXMLError(msg))); got != want {
			t.Fatalf("round trip of %q gave %q", want, got)
		}
	})
}

func TestUnescapeCLIXML(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"_x", "_x"},
		{"a_x00", "a_x00"},
		{"_x0041", "_x0041"},
		{"_x0041_", "A"},
		{"_xZZZZ_b", "_xZZZZ_b"},
		{"_x_x0041_", "_xA"},
		{"_x0041__x0042_", "AB"},
		{"a_x005F_x000D_b", "a_x000D_b"},
		{"_x004_x0041_", "_x004A"},
		{"x_x0041_y_x12", "xAy_x12"},
	} {
		if got := unescapeCLIXML(tt.in); got != tt.want {
			t.Errorf("unescapeCLIXML(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
