package ui

import (
	tea "charm.land/bubbletea/v2"
	"github.com/ssisha/ssisha/steps/answers"
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

// QuestionMistake is the mistake the screenshots type into question group g (from 0,
// in the order the wizard asks them) of a wizard started with these answers and
// secrets; false when the group needs none, because its checks already flag something
// or it has nothing to type into.
func QuestionMistake(g int, a *answers.Answers, s *answers.Secrets) (Mistake, bool) {
	a, s = Options{Answers: a, Secrets: s}.startingAnswers()
	var group []*question
	for _, q := range newQuestions(a, s) {
		if q.group == g {
			group = append(group, q)
		}
	}
	var mk frameMistake
	switch {
	case g >= 0 && g < len(frameMistakes):
		mk = frameMistakes[g]
	case g == secretsGroup:
		// With the secrets set (as against the lab) the group shows them masked and
		// valid; a character the logging login's password cannot carry makes its check
		// fail without showing anything of the value. Unset, their emptiness is flagged
		// already.
		i := -1
		for j, q := range group {
			if q.key == answers.EnvLoggingPassword && *q.value != "" {
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
	was := *group[mk.skip].value
	out := Mistake{Fields: len(group), Moves: mk.skip}
	clearField := tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	if mk.replace {
		out.Keys = append([]tea.KeyPressMsg{clearField}, runeKeys(mk.text)...)
		out.Undo = append([]tea.KeyPressMsg{clearField}, runeKeys(was)...)
	} else {
		out.Keys = runeKeys(mk.text)
		for range []rune(mk.text) {
			out.Undo = append(out.Undo, tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
	}
	return out, true
}

// secretsGroup is the index of the secrets page in questionGroups.
const secretsGroup = int(answers.GroupSecrets)

// runeKeys are the key presses that type s.
func runeKeys(s string) []tea.KeyPressMsg {
	out := make([]tea.KeyPressMsg, 0, len(s))
	for _, r := range s {
		out = append(out, tea.KeyPressMsg{Code: r, Text: string(r)})
	}
	return out
}
