package ui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/ssisha/ssisha/ui/uitest/fake"
	"github.com/ssisha/ssisha/ui/uitest/settle"
)

// FakeBackend is the wizard's tests' estate.
type FakeBackend = fake.Backend

// frameClock is the fixed time of the tests that draw a screen.
var frameClock = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// drive runs cmd and what follows from it on m until nothing is left to wait for.
func drive(m Model, cmd tea.Cmd) { settle.Run(m, cmd, m.Working) }
