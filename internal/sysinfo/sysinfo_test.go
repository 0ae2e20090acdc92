package sysinfo

import (
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

func TestReadKnobs(t *testing.T) {
	fsys := fstest.MapFS{
		"net/ipv4/ip_local_port_range": {Data: []byte("32768\t60999\n")},
		"net/ipv4/tcp_tw_reuse":        {Data: []byte("2\n")},
		"net/ipv4/tcp_fin_timeout":     {Data: []byte("  60 \n")},
		"net/core/somaxconn":           {Data: []byte("4096\n")},
		"net/ipv4/tcp_syncookies":      {Data: []byte("1\n")}, // not one of ours
	}
	got := readKnobs(fsys)
	want := map[string]string{
		"net.ipv4.ip_local_port_range": "32768 60999",
		"net.ipv4.tcp_tw_reuse":        "2",
		"net.ipv4.tcp_fin_timeout":     "60",
		"net.core.somaxconn":           "4096",
	}
	if len(got) != len(want) {
		t.Errorf("knobs %v, want %v (unreadable ones absent)", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestEphemeralPorts(t *testing.T) {
	cases := map[string]int{
		"32768 60999": 28232,
		"1024 65535":  64512,
		"5000 5000":   1,
		"":            0,
		"60999 32768": 0,
		"0 100":       0,
		"1 70000":     0,
		"a b":         0,
		"1 2 3":       0,
	}
	for in, want := range cases {
		if got := ephemeralPorts(in); got != want {
			t.Errorf("ephemeralPorts(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestRead reads this host: whatever it is, the answer is consistent.
func TestRead(t *testing.T) {
	info := Read()
	if info.OS != runtime.GOOS || info.Arch != runtime.GOARCH {
		t.Errorf("OS/Arch %s/%s", info.OS, info.Arch)
	}
	if info.Knobs == nil {
		t.Fatal("Knobs is nil")
	}
	for k, v := range info.Knobs {
		if v != strings.TrimSpace(v) || strings.ContainsAny(v, "\t\n") {
			t.Errorf("%s = %q: not cleaned", k, v)
		}
	}
	if runtime.GOOS == "linux" {
		if info.Kernel == "" {
			t.Error("no kernel release on Linux")
		}
		if info.Knobs[PortRange] == "" || info.EphemeralPorts <= 0 {
			t.Errorf("port range %q, ephemeral ports %d", info.Knobs[PortRange], info.EphemeralPorts)
		}
	}
}
