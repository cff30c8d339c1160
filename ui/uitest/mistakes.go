package uitest

import (
	tea "charm.land/bubbletea/v2"

	"github.com/ssisha/ssisha/steps/answers"
	"github.com/ssisha/ssisha/ui"
)

// Mistake is a wrong value typed into one field of a question group, so that a picture
// of the group shows its checks failing as the user types, and the keys that put the
// value back before the next group.
type Mistake struct {
	// Fields is how many fields the group has: from the group's first, as many
	// presses of enter move on to the next group.
	Fields int
	// Moves is how many fields on from the group's first the mistake is typed.
	Moves int
	// Keys type the mistake into that field: at the end of its value, or over it.
	Keys []tea.KeyPressMsg
	// Undo restores the field's value as it was before Keys.
	Undo []tea.KeyPressMsg
}

// frameMistakes are typed into one field of each question group, the field reached
// with skip moves, at the end of its value or over it (replace), so that every
// group's frame shows a check failing as the user types. The secrets group has its
// own in QuestionMistake.
var frameMistakes = []frameMistake{
	{2, ".", false},                   // Domain (NetBIOS): a trailing dot
	{0, "svc_ssismaster", true},       // Master service account: no domain
	{2, "0", false},                   // Master port: 83910 is not a port
	{2, "-primary-listener", false},   // Listener DNS name: more than NetBIOS's 15 characters
	{0, ", node1.contoso.com", false}, // Worker hosts: a master node typed as a worker
	{2, `CONTOSO\`, true},             // WinRM user: a domain without a user
}

// frameMistake is one entry of frameMistakes.
type frameMistake struct {
	skip    int
	text    string
	replace bool
}

// QuestionMistake is the mistake the pictures type into question group g (from 0, in
// the order the wizard asks them) of a wizard started with these answers and secrets;
// false when the group needs none, because its checks already flag something or it
// has nothing to type into.
func QuestionMistake(g int, a *answers.Answers, s *answers.Secrets) (Mistake, bool) {
	var group []ui.Question
	for _, q := range ui.Questions(a, s) {
		if q.Group == g {
			group = append(group, q)
		}
	}
	var mk frameMistake
	switch {
	case g >= 0 && g < len(frameMistakes):
		mk = frameMistakes[g]
	case g == int(answers.GroupSecrets):
		// With the secrets set (as against the lab) the group shows them masked and
		// valid; a character the logging login's password cannot carry makes its check
		// fail without showing anything of the value. Unset, their emptiness is flagged
		// already.
		i := -1
		for j, q := range group {
			if q.Key == answers.EnvLoggingPassword && q.Value != "" {
				i = j
			}
		}
		if i < 0 {
			return Mistake{}, false
		}
		mk = frameMistake{skip: i, text: ";"}
	default:
		return Mistake{}, false
	}
	if mk.skip >= len(group) {
		return Mistake{}, false
	}
	was := group[mk.skip].Value
	out := Mistake{Fields: len(group), Moves: mk.skip}
	if mk.replace {
		out.Keys = append([]tea.KeyPressMsg{key("ctrl+u")}, runeKeys(mk.text)...)
		out.Undo = append([]tea.KeyPressMsg{key("ctrl+u")}, runeKeys(was)...)
	} else {
		out.Keys = runeKeys(mk.text)
		out.Undo = repeat(key("backspace"), len([]rune(mk.text)))
	}
	return out, true
}

// runeKeys are the key presses that type s.
func runeKeys(s string) []tea.KeyPressMsg {
	out := make([]tea.KeyPressMsg, 0, len(s))
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}
