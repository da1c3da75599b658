package gohost

import (
	"strings"
	"testing"
)

// retryLine is retry-budget's outcome of one exchange: the decision and its counters.
func retryLine(f *filter, o outcome) string {
	decision := "upstream"
	if o.local != nil {
		decision = "local " + itoa(o.local.StatusCode) + " " + ownedValues(o.local.Headers, "x-meshfed-retry-budget")
	}
	return decision + " requests=" + f.counter("meshfed_retry_budget_requests_total") +
		" allowed=" + f.counter("meshfed_retry_budget_retries_allowed_total") +
		" refused=" + f.counter("meshfed_retry_budget_retries_refused_total") +
		" failures=" + f.counter("meshfed_retry_budget_failures_total") + " logs=" + f.newLogLevels()
}

func itoa(v uint32) string {
	return itoa64(uint64(v))
}

func TestRetryBudgetAdmitsWithinBudgetAndRefusesOver(t *testing.T) {
	m := javaModule(t, "retry-budget")
	// A floor of 2 retries in the window and no percentage: two retries pass, the third is refused.
	f := start(t, m, `{"budgetPercent": 0, "minRetriesPerSecond": 1, "windowSeconds": 2}`)
	if !f.started {
		t.Fatalf("refused: %v", f.host.GetErrorLogs())
	}
	f.newLogLevels()
	var got []string
	for _, attempt := range []string{"1", "2", "3", "1", "2"} {
		o := f.exchange(pairs(":path", "/", "x-envoy-attempt-count", attempt), pairs(":status", "200"))
		got = append(got, attempt+": "+retryLine(f, o))
	}
	want := []string{
		"1: upstream requests=1 allowed=0 refused=0 failures=0 logs=[]",
		"2: upstream requests=2 allowed=1 refused=0 failures=0 logs=[]",
		"3: upstream requests=3 allowed=2 refused=0 failures=0 logs=[]",
		"1: upstream requests=4 allowed=2 refused=0 failures=0 logs=[]",
		"2: local 503 exhausted requests=5 allowed=2 refused=1 failures=0 logs=[]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRetryBudgetHostileAttemptCounts(t *testing.T) {
	m := javaModule(t, "retry-budget")
	cases := []struct {
		name    string
		request [][2]string
		want    string
	}{
		{"attempt 2", pairs("x-envoy-attempt-count", "2"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=0 logs=[]"},
		{"attempt 0000001", pairs("x-envoy-attempt-count", "0000001"), "upstream requests=1 allowed=0 refused=0 failures=0 logs=[]"},
		{"eight digits", pairs("x-envoy-attempt-count", "10000000"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=0 logs=[]"},
		{"40 digits", pairs("x-envoy-attempt-count", strings.Repeat("1", 40)), "local 503 exhausted requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"},
		{"not a number", pairs("x-envoy-attempt-count", "abc"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"},
		{"control character", pairs("x-envoy-attempt-count", "1\x01"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"},
		{"not UTF-8", pairs("x-envoy-attempt-count", "1\xff"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=1 logs=[WARN]"},
		{"mixed case (lower-cased by the host)", pairs("X-Envoy-Attempt-Count", "2"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=0 logs=[]"},
		{"duplicates 1 and 3", pairs("x-envoy-attempt-count", "1", "x-envoy-attempt-count", "3"), "local 503 exhausted requests=1 allowed=0 refused=1 failures=0 logs=[]"},
		{"500 other headers", concat(manyHeaders(500), pairs("x-envoy-attempt-count", "1")), "upstream requests=1 allowed=0 refused=0 failures=0 logs=[]"},
		{"a 200 KiB cookie", pairs("x-envoy-attempt-count", "1", "cookie", strings.Repeat("c", 200*1024)), "upstream requests=1 allowed=0 refused=0 failures=0 logs=[]"},
	}
	for _, c := range cases {
		f := start(t, m, `{"budgetPercent": 0, "minRetriesPerSecond": 0, "windowSeconds": 3600}`)
		o := f.exchange(concat(pairs(":path", "/"), c.request), pairs(":status", "200"))
		if got := retryLine(f, o); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

const telemetryConfig = `{"tags": {"mesh": "prod", "cluster": "east", "network": "net-1", "locality": "us-east1/us-east1-b"}}`
const telemetryScope = "meshfed.mesh.prod.cluster.east.network.net-1.locality.us-east1_us-east1-b"

func TestTelemetryTagsClassifyStatus(t *testing.T) {
	m := javaModule(t, "telemetry-tags")
	f := start(t, m, telemetryConfig)
	want := map[string]string{"200": "2xx", "204": "2xx", "302": "3xx", "404": "4xx", "503": "5xx", "101": "1xx",
		"5ab": "other", "1e3": "other", "2000": "other", "20": "other", "": "other"}
	counts := map[string]uint64{}
	for _, status := range sortedKeys(want) {
		upstream := pairs(":status", status)
		if status == "" {
			upstream = pairs("content-type", "text/plain")
		}
		o := f.exchange(pairs(":path", "/x", "x-meshfed-cluster", "spoofed", "X-Meshfed-Mesh", "spoofed",
			"x-meshfed-network", "a", "x-meshfed-network", "b"), upstream)
		tags := ownedValues(o.requestHeaders, "x-meshfed-mesh") + "/" + ownedValues(o.requestHeaders, "x-meshfed-cluster") + "/" +
			ownedValues(o.requestHeaders, "x-meshfed-network") + "/" + ownedValues(o.requestHeaders, "x-meshfed-locality")
		if tags != "prod/east/net-1/us-east1/us-east1-b" {
			t.Errorf("status %q: tags %s", status, tags)
		}
		counts[want[status]]++
		for _, class := range []string{"1xx", "2xx", "3xx", "4xx", "5xx", "other"} {
			if got := f.counter(telemetryScope + ".response_class." + class); got != itoa64(counts[class]) {
				t.Errorf("after status %q: %s = %s, want %d", status, class, got, counts[class])
			}
		}
	}
	if got := f.counter(telemetryScope + ".requests_total"); got != itoa64(uint64(len(want))) {
		t.Errorf("requests_total %s", got)
	}
	if _, err := f.host.GetHistogramMetric(telemetryScope + ".request_duration_ms"); err != nil {
		t.Errorf("no duration histogram: %v", err)
	}
	if got := f.counter(telemetryScope + ".failures_total"); got != "0" {
		t.Errorf("failures %s", got)
	}
}

func itoa64(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestConfigurationRefused(t *testing.T) {
	cases := []struct{ module, config, want string }{
		{"retry-budget", "", "retry-budget: rejected configuration: configuration is empty (write {} for the defaults)"},
		{"retry-budget", `{"budgetPercent": 1e19}`, "budgetPercent: 1.000e19 is outside [0, 1000]"},
		{"retry-budget", `{"windowSeconds": -1e19}`, "windowSeconds: -1.000e19 is outside [1, 86400]"},
		{"retry-budget", `{"minRetriesPerSecond": 1e400}`, "minRetriesPerSecond: Infinity is outside [0, 1000000]"},
		{"retry-budget", `{"rejectStatus": 9223372036854775808}`, "rejectStatus: 9.223e18 is outside [200, 599]"},
		{"retry-budget", `{"budgetPercent": NaN}`, "unexpected character 'N'"},
		{"retry-budget", "{\"sharedDataKey\": \"a\xc3\"}", "configuration is not valid UTF-8 (byte 20)"},
		{"retry-budget", `{"metricPrefix": "\udc00"}`, "unpaired surrogate"},
		{"telemetry-tags", "", "configuration is empty (write {} for the defaults)"},
		{"telemetry-tags", `{"tags": {"mesh": 1e19}}`, "tags.mesh: must be a string"},
		{"telemetry-tags", "{\"tags\": {\"mesh\": \"\xff\"}}", "configuration is not valid UTF-8 (byte 19)"},
		{"telemetry-tags", `{}`, "tags"},
	}
	for _, c := range cases {
		f := start(t, javaModule(t, c.module), c.config)
		errs := f.host.GetErrorLogs()
		if f.started || len(errs) == 0 || !strings.Contains(errs[len(errs)-1], c.module+": rejected configuration: ") ||
			!strings.Contains(errs[len(errs)-1], c.want) {
			t.Errorf("%s %q: started=%v errors=%q, want refused naming %q", c.module, c.config, f.started, errs, c.want)
		}
	}
}
