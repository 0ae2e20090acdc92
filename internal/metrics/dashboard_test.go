package metrics

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/connlab/connlab/internal/wire"
)

// dashboardPath is the Grafana dashboard shipped for fleets.
const dashboardPath = "../../docs/grafana/connlab.json"

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	descLabels = regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	// A metric name in PromQL: connlab's and the Go and process collectors'.
	promName = regexp.MustCompile(`\b(?:connlab|go|process)_[a-zA-Z0-9_]+\b`)
	// A selector's label matchers, and a by/without clause.
	selector = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	grouping = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// targetLabels are added by Prometheus to every scraped series.
var targetLabels = []string{"instance", "job"}

// known maps every metric name the registry can expose (histograms with
// their _bucket, _sum and _count series) to its label names, from the
// collectors' Describe.
func known(t *testing.T) map[string][]string {
	t.Helper()
	m, err := New(Config{Ports: noPorts{}, Viewers: noViewers{}, Lab: runs{}, Polls: NewPolls()})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, c := range m.cs {
		ch := make(chan *prometheus.Desc, 512)
		c.Describe(ch)
		close(ch)
		_, histogram := c.(prometheus.Histogram)
		for d := range ch {
			s := d.String()
			name := descName.FindStringSubmatch(s)
			if name == nil {
				t.Fatalf("no name in %s", s)
			}
			var labels []string
			if l := descLabels.FindStringSubmatch(s); l != nil && l[1] != "" {
				labels = strings.Split(l[1], ",")
			}
			out[name[1]] = labels
			if histogram {
				out[name[1]+"_bucket"] = append(slices.Clone(labels), "le")
				out[name[1]+"_sum"] = labels
				out[name[1]+"_count"] = labels
			}
		}
	}
	// Const labels are labels too.
	out["connlab_build_info"] = []string{"version", "goversion"}
	return out
}

type noPorts struct{}

func (noPorts) Ports() []wire.PortStatus { return nil }
func (noPorts) Status(uint16) (wire.PortStatus, error) {
	return wire.PortStatus{}, errors.New("not watched")
}

type noViewers struct{}

func (noViewers) Len() int { return 0 }

// panel is the part of a Grafana panel the test reads.
type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Repeat  string  `json:"repeat"`
	Panels  []panel `json:"panels"` // a collapsed row's
	GridPos *struct {
		W, H int
	} `json:"gridPos"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

type dashboard struct {
	Title      string  `json:"title"`
	UID        string  `json:"uid"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"` // a string, or {"query": "..."}
		} `json:"list"`
	} `json:"templating"`
}

// TestDashboard checks the Grafana dashboard against the collectors: it
// parses, every PromQL expression names metrics and labels that exist,
// every connlab metric is shown, and the per-port panels follow the port
// variable. (The end-to-end test at the module root runs every expression
// through a real Prometheus.)
func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("dashboard title %q uid %q", d.Title, d.UID)
	}
	names := known(t)
	used := map[string]bool{}
	check := func(where, expr string) {
		t.Helper()
		metrics := promName.FindAllString(expr, -1)
		if len(metrics) == 0 {
			t.Errorf("%s: %q names no metric", where, expr)
		}
		labels := map[string]bool{}
		for _, l := range targetLabels {
			labels[l] = true
		}
		for _, n := range metrics {
			ls, ok := names[n]
			if !ok {
				t.Errorf("%s: %q: no metric %s", where, expr, n)
			}
			used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")] = true
			for _, l := range ls {
				labels[l] = true
			}
		}
		for _, sel := range selector.FindAllStringSubmatch(expr, -1) {
			own := map[string]bool{"instance": true, "job": true}
			for _, l := range names[sel[1]] {
				own[l] = true
			}
			for _, m := range matcher.FindAllStringSubmatch(sel[2], -1) {
				if !own[m[1]] {
					t.Errorf("%s: %q: %s has no label %s", where, expr, sel[1], m[1])
				}
			}
		}
		for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
			for _, l := range strings.Split(g[1], ",") {
				if l = strings.TrimSpace(l); l != "" && !labels[l] {
					t.Errorf("%s: %q: groups by %s, which none of its metrics has", where, expr, l)
				}
			}
		}
	}

	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(string)
		if m, ok := v.Query.(map[string]any); ok {
			q, _ = m["query"].(string)
		}
		check("variable "+v.Name, q)
	}
	for _, v := range []string{"datasource", "instance", "port"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}

	ids := map[int]bool{}
	var walk func(ps []panel, repeat string)
	perPort := 0
	walk = func(ps []panel, repeat string) {
		for _, p := range ps {
			if ids[p.ID] {
				t.Errorf("panel id %d twice", p.ID)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W == 0 || p.GridPos.H == 0 {
				t.Errorf("panel %q has no size", p.Title)
			}
			if p.Type == "row" {
				repeat = p.Repeat
				walk(p.Panels, repeat)
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != "${datasource}" || len(p.Targets) == 0 {
				t.Errorf("panel %q: datasource %+v, %d targets", p.Title, p.Datasource, len(p.Targets))
			}
			for _, tg := range p.Targets {
				check("panel "+p.Title, tg.Expr)
				if repeat == "port" {
					perPort++
					if !strings.Contains(tg.Expr, `port="$port"`) {
						t.Errorf("panel %q repeats per port but %q does not select port=\"$port\"", p.Title, tg.Expr)
					}
				}
			}
		}
	}
	walk(d.Panels, "")
	if perPort == 0 {
		t.Error("no panel repeats per port")
	}
	for n := range names {
		if strings.HasPrefix(n, "connlab_") && !strings.HasSuffix(n, "_sum") && !strings.HasSuffix(n, "_count") && !strings.HasSuffix(n, "_bucket") && !used[n] {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
}
