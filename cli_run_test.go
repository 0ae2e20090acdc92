package main

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestPresetsCommand(t *testing.T) {
	var out, errOut syncBuffer
	if err := run(context.Background(), []string{"presets"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"keepalive-default", "client-disable-keepalive", "pool-churn", "pool-sized", "h2c-multiplex", "tcp-keepalive"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("connlab presets does not list %s", name)
		}
	}
}

// TestRunJSON runs a real experiment headless and checks the fields scripts
// rely on, and the physics: DisableKeepAlives means a connection per request.
func TestRunJSON(t *testing.T) {
	var out, errOut syncBuffer
	args := []string{"run", "client-disable-keepalive", "-set", "requests=5", "-set", "interval=20ms", "-set", "observe=300ms", "-json"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run: %v\nstderr: %s", err, errOut.String())
	}
	var res struct {
		Preset   string `json:"preset"`
		Go       string `json:"go"`
		Port     int    `json:"port"`
		Requests struct {
			Total, Errors, Reused, Retried *int
		} `json:"requests"`
		Connections struct {
			Opened, Reset *int
			ClosedFirst   struct{ Server, Client, Simultaneous *int } `json:"closedFirst"`
		} `json:"connections"`
		Kernel struct {
			TimeWaitPeak struct{ Server, Client *int } `json:"timeWaitPeak"`
		} `json:"kernel"`
		Latency struct {
			P50Ms *float64 `json:"p50Ms"`
			P99Ms *float64 `json:"p99Ms"`
		} `json:"latency"`
		Findings []struct {
			ID       string   `json:"id"`
			Text     string   `json:"text"`
			Evidence []string `json:"evidence"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("-json output is not JSON: %v\n%s", err, out.String())
	}
	if res.Preset != "client-disable-keepalive" || !strings.HasPrefix(res.Go, "go") || res.Port == 0 {
		t.Errorf("preset %q go %q port %d", res.Preset, res.Go, res.Port)
	}
	for name, p := range map[string]*int{
		"requests.total": res.Requests.Total, "requests.errors": res.Requests.Errors, "requests.reused": res.Requests.Reused,
		"requests.retried": res.Requests.Retried, "connections.opened": res.Connections.Opened, "connections.reset": res.Connections.Reset,
		"closedFirst.server": res.Connections.ClosedFirst.Server, "closedFirst.client": res.Connections.ClosedFirst.Client,
		"closedFirst.simultaneous":   res.Connections.ClosedFirst.Simultaneous,
		"kernel.timeWaitPeak.server": res.Kernel.TimeWaitPeak.Server, "kernel.timeWaitPeak.client": res.Kernel.TimeWaitPeak.Client,
	} {
		if p == nil {
			t.Errorf("-json lacks %s", name)
		}
	}
	if res.Latency.P50Ms == nil || res.Latency.P99Ms == nil || len(res.Findings) == 0 {
		t.Fatalf("-json lacks latency or findings: %s", out.String())
	}
	if *res.Requests.Total != 5 || *res.Connections.Opened != 5 || *res.Requests.Reused != 0 {
		t.Errorf("requests %d, connections %d, reused %d: want 5 connections for 5 requests, none reused",
			*res.Requests.Total, *res.Connections.Opened, *res.Requests.Reused)
	}
	for _, f := range res.Findings {
		if f.ID == "" || f.Text == "" || len(f.Evidence) == 0 {
			t.Errorf("finding without id, text or evidence: %+v", f)
		}
	}
}

func TestRunText(t *testing.T) {
	var out, errOut syncBuffer
	args := []string{"run", "keepalive-default", "-set", "requests=4", "-set", "interval=10ms", "-set", "observe=0s"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("run: %v", err)
	}
	if !strings.Contains(out.String(), "VERDICT") || !strings.Contains(out.String(), "completed") {
		t.Fatalf("text report:\n%s", out.String())
	}
}

func TestRunUsageErrors(t *testing.T) {
	cases := map[string]struct {
		args []string
		want string
	}{
		"no preset":        {[]string{"run"}, "name a preset"},
		"unknown preset":   {[]string{"run", "nope"}, "nope"},
		"unknown key":      {[]string{"run", "keepalive-default", "-set", "colour=red"}, "colour"},
		"bad value":        {[]string{"run", "keepalive-default", "-set", "concurrency=5000"}, "concurrency"},
		"bad duration":     {[]string{"run", "keepalive-default", "-set", "duration=soon"}, "duration"},
		"no equals":        {[]string{"run", "keepalive-default", "-set", "requests"}, "key=value"},
		"stray argument":   {[]string{"run", "keepalive-default", "extra"}, "extra"},
		"bad interval":     {[]string{"run", "keepalive-default", "-interval", "1ms"}, "-interval"},
		"presets argument": {[]string{"presets", "x"}, "no arguments"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var out, errOut syncBuffer
			err := run(context.Background(), c.args, &out, &errOut)
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) || exitCode(err) == 0 {
				t.Fatalf("run %v = %v, want a usage error mentioning %q", c.args, err, c.want)
			}
		})
	}
}
