package tcpevents

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		err         error
		unavailable bool
		says        string
	}{
		{fmt.Errorf("map create: %w", unix.EPERM), true, permHint()},
		{fmt.Errorf("load: %w", unix.EACCES), true, permHint()},
		{fmt.Errorf("ringbuf: %w", ebpf.ErrNotSupported), true, "lacks a feature"},
		{errors.New("something else"), false, "something else"},
	}
	for _, c := range cases {
		got := classify("load eBPF program", c.err)
		if errors.Is(got, ErrUnavailable) != c.unavailable || !errors.Is(got, c.err) {
			t.Errorf("classify(%v) = %v: unavailable %v, want %v (and wrapping the cause)", c.err, got, errors.Is(got, ErrUnavailable), c.unavailable)
		}
		if !strings.Contains(got.Error(), c.says) || !strings.Contains(got.Error(), "load eBPF program") {
			t.Errorf("classify(%v) = %q: want it to say %q and the operation", c.err, got, c.says)
		}
	}
}
