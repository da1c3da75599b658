// Package observability checks meshfed's shipped Grafana dashboard and Prometheus alert rules
// (knative/charts/meshfed/files/) against the metric contract in docs/observability.md: every rule loads as
// Prometheus loads a rule file, every PromQL expression parses, and every series an expression names is one the
// contract's tables list, so a typo in a name fails here rather than as a dashboard that stays empty. It also
// reads what the xDS bridge really served at /metrics (written by xds-bridge/app's BridgeMetricsTest) and checks
// that it exports exactly the contract's series, with exactly their labels.
package observability

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

var (
	root    = flag.String("root", "..", "the repository's root")
	scrapes = flag.String("scrapes", "", "comma-separated section=file pairs of scraped /metrics text, e.g. "+
		"'xDS bridge=../xds-bridge/app/target/metrics/xds-bridge.txt'; a file that does not exist is skipped")
	rules = flag.String("rules", "", "a rule file to check instead of the chart's files/prometheus-rules.yaml, e.g. "+
		"the groups of a PrometheusRule the chart rendered (knative's HelmChartsTest passes them)")
)

// metric is one row of a table of docs/observability.md.
type metric struct {
	name    string
	kind    string // counter, gauge, histogram
	labels  []string
	section string // the "### " heading it is under
}

var (
	rowPattern      = regexp.MustCompile("^\\|\\s*`(meshfed_[a-z0-9_]+)`\\s*\\|([^|]*)\\|([^|]*)\\|")
	backticked      = regexp.MustCompile("`([^`]+)`")
	parenthesized   = regexp.MustCompile(`\([^)]*\)`)
	grafanaInterval = regexp.MustCompile(`\$__(rate_interval|interval|range)\b`)
	labelValues     = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,`)
)

// contract reads every metric row of docs/observability.md's tables.
func contract(t *testing.T) map[string]metric {
	t.Helper()
	f, err := os.Open(filepath.Join(*root, "docs", "observability.md"))
	if err != nil {
		t.Fatalf("the metric contract: %v", err)
	}
	defer f.Close()
	out := map[string]metric{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "### ") {
			section = strings.TrimSpace(strings.TrimPrefix(line, "### "))
			continue
		}
		m := rowPattern.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var labels []string
		for _, l := range backticked.FindAllStringSubmatch(parenthesized.ReplaceAllString(m[3], ""), -1) {
			labels = append(labels, l[1])
		}
		sort.Strings(labels)
		row := metric{name: m[1], kind: strings.TrimSpace(m[2]), labels: labels, section: section}
		if prev, ok := out[row.name]; ok && (prev.kind != row.kind || strings.Join(prev.labels, ",") != strings.Join(labels, ",")) {
			t.Errorf("%s is listed twice with different kinds or labels: %v and %v", row.name, prev, row)
		}
		if _, ok := out[row.name]; !ok {
			out[row.name] = row
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 10 {
		t.Fatalf("only %d metrics found in docs/observability.md's tables: is the table format still | `name` | kind | labels | meaning |?", len(out))
	}
	return out
}

// documented tells whether a series name an expression selects is in the contract: a metric's own name, or a
// histogram's _bucket, _count or _sum series.
func documented(c map[string]metric, name string) bool {
	if _, ok := c[name]; ok {
		return true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if m, ok := c[strings.TrimSuffix(name, suffix)]; ok && strings.HasSuffix(name, suffix) && m.kind == "histogram" {
			return true
		}
	}
	return false
}

// seriesNames lists the metric names an expression selects; an expression that selects by anything but a name
// fails (every meshfed expression names its series).
func seriesNames(t *testing.T, where string, expr parser.Expr) []string {
	var names []string
	parser.Inspect(expr, func(node parser.Node, _ []parser.Node) error {
		switch s := node.(type) {
		case *parser.VectorSelector:
			if s.Name == "" {
				t.Errorf("%s: a selector without a metric name: %s", where, s)
			}
			names = append(names, s.Name)
		case *parser.MatrixSelector:
			// its VectorSelector is visited too
		}
		return nil
	})
	return names
}

func checkExpr(t *testing.T, c map[string]metric, where, text string) {
	t.Helper()
	expr, err := parser.NewParser(parser.Options{}).ParseExpr(text)
	if err != nil {
		t.Errorf("%s: %q does not parse: %v", where, text, err)
		return
	}
	names := seriesNames(t, where, expr)
	if len(names) == 0 {
		t.Errorf("%s: %q reads no series", where, text)
	}
	for _, n := range names {
		if !documented(c, n) {
			t.Errorf("%s: %q reads %s, which docs/observability.md does not list", where, text, n)
		}
	}
}

func TestAlertRulesLoadAndReadOnlyDocumentedSeries(t *testing.T) {
	c := contract(t)
	path := filepath.Join(*root, "knative", "charts", "meshfed", "files", "prometheus-rules.yaml")
	if *rules != "" {
		path = *rules
	}
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := rulefmt.Parse(content, false, model.UTF8Validation, parser.NewParser(parser.Options{}))
	for _, e := range errs {
		t.Errorf("%s: %v", path, e)
	}
	if groups == nil {
		t.FailNow()
	}
	alerts := map[string]bool{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			where := fmt.Sprintf("%s: group %s, alert %s", path, g.Name, r.Alert)
			if r.Alert == "" {
				t.Errorf("%s: only alerts belong in this file, found record %q", where, r.Record)
				continue
			}
			alerts[r.Alert] = true
			checkExpr(t, c, where, r.Expr)
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: needs a severity label and a summary annotation", where)
			}
		}
	}
	// what docs/observability.md promises an operator is alerted on
	for _, a := range []string{"MeshfedCertificateExpiringSoon", "MeshfedCatalogStale", "MeshfedXdsRejected",
		"MeshfedClusterUnreachable", "MeshfedIstiodNotConnected", "MeshfedFunctionErrors",
		"MeshfedRelayCertificateExpiringSoon", "MeshfedRelayCertificateExpired", "MeshfedRelayDialFailing",
		"MeshfedRelayNoUpstream"} {
		if !alerts[a] {
			t.Errorf("%s: no alert %s", path, a)
		}
	}
}

func TestDashboardPanelsParseAndReadOnlyDocumentedSeries(t *testing.T) {
	c := contract(t)
	path := filepath.Join(*root, "knative", "charts", "meshfed", "files", "grafana-dashboard.json")
	content, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name  string          `json:"name"`
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(content, &dash); err != nil {
		t.Fatalf("%s is not valid JSON: %v", path, err)
	}
	if dash.UID == "" {
		t.Errorf("%s: no uid (Grafana would make a new dashboard on every load)", path)
	}
	used := map[string]bool{}
	exprs := 0
	var visit func(ps []panel)
	visit = func(ps []panel) {
		for _, p := range ps {
			visit(p.Panels)
			if p.Type == "row" {
				continue
			}
			if len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", path, p.Title)
			}
			for _, target := range p.Targets {
				exprs++
				where := fmt.Sprintf("%s: panel %q, query %s", path, p.Title, target.RefID)
				// Grafana replaces its interval variables before Prometheus sees the query
				text := grafanaInterval.ReplaceAllString(target.Expr, "5m")
				checkExpr(t, c, where, text)
				if expr, err := parser.NewParser(parser.Options{}).ParseExpr(text); err == nil {
					for _, n := range seriesNames(t, where, expr) {
						used[strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_count"), "_sum")] = true
					}
				}
			}
		}
	}
	visit(dash.Panels)
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Errorf("%s: variable %s: %v", path, v.Name, err)
			continue
		}
		m := labelValues.FindStringSubmatch(q.Query)
		if m == nil {
			t.Errorf("%s: variable %s: %q is not label_values(<metric>, <label>)", path, v.Name, q.Query)
		} else if !documented(c, m[1]) {
			t.Errorf("%s: variable %s reads %s, which docs/observability.md does not list", path, v.Name, m[1])
		}
	}
	if exprs == 0 {
		t.Fatalf("%s: no panel queries found", path)
	}
	// the dashboard shows every metric of the contract, the workload clusters' relays included
	for name := range c {
		if !used[name] {
			t.Errorf("%s: no panel shows %s", path, name)
		}
	}
}

type panel struct {
	Title   string  `json:"title"`
	Type    string  `json:"type"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// TestScrapedMetricsAreTheContract: what a component really served is exactly its sections of the contract: every
// metric of them present, with exactly the documented labels, and no other meshfed_ series but documented ones.
func TestScrapedMetricsAreTheContract(t *testing.T) {
	if *scrapes == "" {
		t.Skip("no -scrapes given")
	}
	c := contract(t)
	for _, pair := range strings.Split(*scrapes, ",") {
		section, file, ok := strings.Cut(pair, "=")
		if !ok {
			t.Fatalf("-scrapes: %q is not section=file", pair)
		}
		t.Run(section, func(t *testing.T) {
			f, err := os.Open(file)
			if os.IsNotExist(err) {
				t.Skipf("%s does not exist: the test that scrapes it did not run in this build", file)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			p := expfmt.NewTextParser(model.UTF8Validation)
			families, err := p.TextToMetricFamilies(f)
			if err != nil {
				t.Fatalf("%s is not Prometheus' text format: %v", file, err)
			}
			checkScrape(t, c, section, file, families)
		})
	}
}

func checkScrape(t *testing.T, c map[string]metric, section, file string, families map[string]*dtoFamily) {
	required := 0
	for _, m := range c {
		if !strings.HasPrefix(m.section, section) {
			continue
		}
		required++
		if _, ok := families[m.name]; !ok {
			t.Errorf("%s: no %s (docs/observability.md, %s)", file, m.name, m.section)
		}
	}
	if required == 0 {
		t.Fatalf("docs/observability.md has no section %q", section)
	}
	for name, fam := range families {
		if !strings.HasPrefix(name, "meshfed_") {
			continue
		}
		doc, ok := c[name]
		if !ok {
			// Micrometer's timers add the largest observation as <histogram>_max
			if base, isMax := c[strings.TrimSuffix(name, "_max")]; isMax && strings.HasSuffix(name, "_max") && base.kind == "histogram" {
				doc = base
			} else {
				t.Errorf("%s: serves %s, which docs/observability.md does not list", file, name)
				continue
			}
		} else if want := kindOf(fam); doc.kind != want {
			t.Errorf("%s: %s is a %s, docs/observability.md says %s", file, name, want, doc.kind)
		}
		for _, m := range fam.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName())
			}
			sort.Strings(labels)
			if strings.Join(labels, ",") != strings.Join(doc.labels, ",") {
				t.Errorf("%s: %s has labels %v, docs/observability.md says %v", file, name, labels, doc.labels)
				break
			}
		}
	}
}
