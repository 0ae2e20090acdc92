package tcpevents

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(closingShared{m})
}

// closingShared closes the shared Source after the tests, before goleak
// looks for leaks.
type closingShared struct{ m *testing.M }

func (c closingShared) Run() int {
	code := c.m.Run()
	if shared.s != nil {
		if err := shared.s.Close(); err != nil {
			println("close shared source:", err.Error())
			return 1
		}
	}
	return code
}
