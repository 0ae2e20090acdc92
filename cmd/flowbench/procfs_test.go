package main

import (
	"testing"
	"time"
)

func TestParsePidStat(t *testing.T) {
	// A command name with spaces and a ')' (prctl can set anything).
	line := "2725 (my (odd) cmd) S 2723 2723 25919 0 -1 4194304 99 0 0 0 250 37 0 0 20 0 9 0 667981 3133440 385 18446744073709551615"
	got, err := parsePidStat(line)
	if err != nil || got != 287*tick {
		t.Fatalf("parsePidStat = %v, %v; want 2.87s", got, err)
	}
	for _, bad := range []string{"", "12 (x) S 1 2", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 2"} {
		if _, err := parsePidStat(bad); err == nil {
			t.Errorf("parsePidStat(%q): want an error", bad)
		}
	}
}

func TestParseSchedstat(t *testing.T) {
	got, err := parseSchedstat("204696808 494871556 928\n")
	if err != nil || got != 204696808*time.Nanosecond {
		t.Fatalf("parseSchedstat = %v, %v", got, err)
	}
	if _, err := parseSchedstat(""); err == nil {
		t.Error("empty schedstat: want an error")
	}
}

func TestParseProcStat(t *testing.T) {
	text := "cpu  874032 13970 367785 53416 1127 0 16533 6592 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"
	got, err := parseProcStat(text)
	if err != nil {
		t.Fatal(err)
	}
	want := machineCPU{busy: (874032 + 13970 + 367785 + 16533) * tick, idle: (53416 + 1127) * tick, steal: 6592 * tick}
	if got != want {
		t.Fatalf("parseProcStat = %+v, want %+v", got, want)
	}
	if _, err := parseProcStat("cpu0 1 2 3 4 5 6 7\n"); err == nil {
		t.Error("no aggregate line: want an error")
	}
	if _, err := parseProcStat("cpu 1 2 3\n"); err == nil {
		t.Error("short cpu line: want an error")
	}
}

func TestParseFdinfo(t *testing.T) {
	prog := "pos:\t0\nflags:\t02000002\nmnt_id:\t17\nino:\t1038\nprog_type:\t26\nprog_jited:\t1\nprog_tag:\te40f87c8cb9c177f\nmemlock:\t4096\nprog_id:\t6659\nrun_time_ns:\t123456\nrun_cnt:\t789\nrecursion_misses:\t0\nverified_insns:\t241\n"
	link := "pos:\t0\nflags:\t02000000\nlink_type:\traw_tracepoint\nlink_id:\t6387\nprog_tag:\tcc2687266873ce5e\nprog_id:\t6659\ntp_name:\tinet_sock_set_state\ncookie:\t0\n"
	unlinked := "prog_type:\t26\nprog_id:\t6658\nrun_time_ns:\t5\nrun_cnt:\t1\n"
	file := "pos:\t0\nflags:\t02\nmnt_id:\t30\n"
	infos := []fdinfo{parseFdinfo(file), parseFdinfo(link), parseFdinfo(prog), parseFdinfo(unlinked), parseFdinfo(prog)}
	if infos[0] != (fdinfo{}) {
		t.Errorf("a file's fdinfo = %+v", infos[0])
	}
	got := bpfPrograms(infos)
	want := []bpfProg{{id: 6659, tp: "inet_sock_set_state", runTime: 123456, runs: 789}, {id: 6658, runTime: 5, runs: 1}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("bpfPrograms = %+v, want %+v", got, want)
	}
}
