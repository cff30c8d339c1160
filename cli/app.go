package cli

import (
	"bufio"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

func newApp(b BuildInfo, in io.Reader, out, errOut io.Writer, getenv func(string) string) *app {
	a := &app{build: b, in: in, out: out, errOut: errOut, getenv: getenv}
	a.isTerminal = func() bool {
		f, ok := in.(*os.File)
		return ok && term.IsTerminal(f.Fd())
	}
	a.readPassword = func() (string, error) {
		if f, ok := in.(*os.File); ok && term.IsTerminal(f.Fd()) {
			b, err := term.ReadPassword(f.Fd())
			return string(b), err
		}
		line, err := bufio.NewReader(in).ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err
	}
	return a
}
