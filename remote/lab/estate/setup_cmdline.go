package estate

import "strings"

// What setup.exe receives for a quoted value on its command line. The scripts build
// /NAME="value" and hand it to Start-Process, which passes the text as is; setup
// splits it as the C runtime does, where backslashes before a quote escape it. So a
// value ending in backslashes keeps its closing quote only when the script doubled
// those backslashes; otherwise the quote is taken as part of the value, which then
// runs into the next switch.

// backslashDoubling is how the scripts double the trailing backslashes of a value
// before quoting it.
const backslashDoubling = `-replace '(\\+)$', '$1$1'`

// setupReceives is the value setup.exe sees for a /NAME="value" the running script
// built from value.
func (c *OpContext) setupReceives(value string) string {
	if c.Script == "" || !strings.HasSuffix(value, `\`) || strings.Contains(c.Script, backslashDoubling) {
		return value
	}
	// The odd backslash escapes the closing quote: setup reads on past it.
	trimmed := strings.TrimRight(value, `\`)
	n := len(value) - len(trimmed)
	return trimmed + strings.Repeat(`\`, n/2) + `" /NEXTSWITCH...`
}

// setupPasswordSwitch is how the scripts hand setup.exe a service account's
// password: a /...SVCPASSWORD="..." switch on its command line.
const setupPasswordSwitch = `SVCPASSWORD="`

// noteSetupCommandLine records that setup.exe ran with account's password on its
// command line, as the running script passes it: for the minutes setup runs, local
// administrators read it from Win32_Process.CommandLine, and process-creation
// auditing with command lines logs it. Setup documents no other way for these
// switches but a configuration file (see docs/real-estate-unknowns.md).
func (c *OpContext) noteSetupCommandLine(op, account string) {
	if strings.Contains(c.Script, setupPasswordSwitch) {
		c.Node.SecretsExposed = append(c.Node.SecretsExposed, "setup.exe command line ("+op+"): password of "+account)
	}
}
