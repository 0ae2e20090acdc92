package monitor

import (
	"fmt"
	"slices"
	"testing"

	"github.com/connlab/connlab/internal/sockstat"
)

// render spells changes as "kind local->remote [from]" for comparison.
func render(cs []change) []string {
	out := []string{}
	for _, c := range cs {
		s := fmt.Sprintf("%s %s->%s %s", c.Kind, c.Socket.Local, c.Socket.Remote, c.Socket.State)
		if c.Kind != Opened {
			s += " from " + c.From.String()
		}
		out = append(out, s)
	}
	return out
}

func TestDiff(t *testing.T) {
	const (
		srv = "127.0.0.1:8081"
		c1  = "127.0.0.1:50001"
		c2  = "127.0.0.1:50002"
		c3  = "127.0.0.1:50003"
	)
	tests := []struct {
		name      string
		prev, cur []sockstat.Socket
		limit     int
		want      []string
		total     int
	}{
		{
			name: "nothing to nothing",
			want: []string{},
		},
		{
			name: "first poll: everything opened",
			cur:  []sockstat.Socket{sock(srv, c1, sockstat.Established), sock(c1, srv, sockstat.Established)},
			want: []string{
				"opened 127.0.0.1:8081->127.0.0.1:50001 ESTABLISHED",
				"opened 127.0.0.1:50001->127.0.0.1:8081 ESTABLISHED",
			},
			total: 2,
		},
		{
			name: "no change",
			prev: []sockstat.Socket{sock(srv, c1, sockstat.Established)},
			cur:  []sockstat.Socket{sock(srv, c1, sockstat.Established)},
			want: []string{},
		},
		{
			name: "close: server goes TIME_WAIT, peer socket gone, one opened",
			prev: []sockstat.Socket{sock(srv, c1, sockstat.Established), sock(c1, srv, sockstat.Established)},
			cur:  []sockstat.Socket{timeWait(srv, c1, 6e10), sock(srv, c2, sockstat.Established)},
			want: []string{
				"changed 127.0.0.1:8081->127.0.0.1:50001 TIME_WAIT from ESTABLISHED",
				"opened 127.0.0.1:8081->127.0.0.1:50002 ESTABLISHED",
				"gone 127.0.0.1:50001->127.0.0.1:8081 ESTABLISHED from ESTABLISHED",
			},
			total: 3,
		},
		{
			name: "NEW_SYN_RECV to SYN_RECV is no change",
			prev: []sockstat.Socket{sock(srv, c1, sockstat.NewSynRecv)},
			cur:  []sockstat.Socket{sock(srv, c1, sockstat.SynRecv)},
			want: []string{},
		},
		{
			name:  "v4-mapped and plain v4 are the same connection",
			prev:  []sockstat.Socket{sock("[::ffff:127.0.0.1]:8081", "[::ffff:127.0.0.1]:50001", sockstat.Established)},
			cur:   []sockstat.Socket{sock(srv, c1, sockstat.CloseWait)},
			want:  []string{"changed 127.0.0.1:8081->127.0.0.1:50001 CLOSE_WAIT from ESTABLISHED"},
			total: 1,
		},
		{
			name:  "limit cuts but counts",
			prev:  []sockstat.Socket{sock(srv, c3, sockstat.Established)},
			cur:   []sockstat.Socket{sock(srv, c1, sockstat.Established), sock(srv, c2, sockstat.Established)},
			limit: 2,
			want: []string{
				"opened 127.0.0.1:8081->127.0.0.1:50001 ESTABLISHED",
				"opened 127.0.0.1:8081->127.0.0.1:50002 ESTABLISHED",
			},
			total: 3,
		},
		{
			name:  "limit zero",
			cur:   []sockstat.Socket{sock(srv, c1, sockstat.Established)},
			limit: -1,
			want:  []string{},
			total: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			limit := tc.limit
			switch limit {
			case 0:
				limit = 1000
			case -1:
				limit = 0
			}
			got, total := diff(setOf(tc.prev...), setOf(tc.cur...), nil, limit)
			if r := render(got); !slices.Equal(r, tc.want) {
				t.Errorf("changes:\n got %q\nwant %q", r, tc.want)
			}
			if total != tc.total {
				t.Errorf("total = %d, want %d", total, tc.total)
			}
		})
	}
}

func TestSocketSetDedup(t *testing.T) {
	a := sock("127.0.0.1:8081", "127.0.0.1:50001", sockstat.Established)
	mapped := sock("[::ffff:127.0.0.1]:8081", "[::ffff:127.0.0.1]:50001", sockstat.Established)
	s := setOf(a, a, mapped, sock("127.0.0.1:8081", "127.0.0.1:50002", sockstat.Established))
	if len(s.list) != 2 || len(s.idx) != 2 {
		t.Fatalf("set holds %d/%d sockets, want 2 (duplicates dropped)", len(s.list), len(s.idx))
	}
	s.reset()
	if _, ok := s.idx[a.Key()]; ok || len(s.list) != 0 || len(s.idx) != 0 {
		t.Fatal("reset left sockets behind")
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Opened: "opened", Changed: "changed", Gone: "gone", 0: ""} {
		if k.String() != want {
			t.Errorf("Kind(%d) = %q, want %q", k, k.String(), want)
		}
	}
}
