package gohost

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// soakRequests is how many exchanges each soak runs per module: MESHFED_GO_SOAK_REQUESTS, default 3,000.
func soakRequests(t *testing.T) int {
	if v := os.Getenv("MESHFED_GO_SOAK_REQUESTS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("MESHFED_GO_SOAK_REQUESTS=%q: want a number of at least 100", v)
		}
		return n
	}
	return 3000
}

// hostileRequest is request i of the mix: every third one hostile, cycling through the kinds below.
// None is larger than the Java guest's arena takes (this host would write it at address 0; see
// TestFailoverHostileInput), so every request must come out exactly as a normal one does.
func hostileRequest(i int) (request, upstream [][2]string, kind string) {
	request = pairs(":method", "GET", ":path", fmt.Sprintf("/items/%d", i%1024), ":authority", "reviews.prod.svc",
		"x-request-id", fmt.Sprintf("req-%d", i), "x-envoy-attempt-count", "1")
	upstream = pairs(":status", "200", "content-type", "application/json")
	if i%3 != 0 {
		return request, upstream, "normal"
	}
	switch (i / 3) % 6 {
	case 0:
		kind = "oversized value"
		request = append(request, [2]string{"cookie", strings.Repeat("v", 100*1024+i%7)})
		upstream = append(upstream, [2]string{"set-cookie", strings.Repeat("s", 100*1024)})
	case 1:
		kind = "oversized name"
		request = append(request, [2]string{"x-" + strings.Repeat("n", 16*1024), "v"})
		upstream = append(upstream, [2]string{"x-" + strings.Repeat("m", 16*1024), "v"})
	case 2:
		kind = "hundreds of headers"
		request = concat(request, manyHeaders(300))
		upstream = concat(upstream, manyHeaders(300))
	case 3:
		kind = "duplicate and other-case owned headers"
		request = concat(request, pairs("X-Meshfed-Caller-Cluster", "forged", "x-meshfed-caller-cluster", "forged2",
			"x-meshfed-cluster", "spoofed", "x-meshfed-cluster", "spoofed2", "X-MESHFED-MESH", "spoofed"))
		upstream = concat(upstream, pairs("x-meshfed-upstream-cluster", "forged", "x-meshfed-upstream-cluster", "forged2",
			"X-Meshfed-Failover", "forged", "x-meshfed-attempts", "9", "x-meshfed-attempts", "9"))
	case 4:
		kind = "control characters"
		request = concat(request, pairs("x-ctl", "a\x01b\x7fc", "x-meshfed-network", "x\r\ny"))
		upstream = concat(upstream, pairs("x-ctl", "\x00\x1f"))
	case 5:
		kind = "not UTF-8"
		request = concat(request, pairs("x-bin", "\xff\xfe\xc3", "x-meshfed-locality", "\xed\xa0\x80"))
		upstream = concat(upstream, pairs("x-bin", "\xc0\xaf", "x-meshfed-upstream-locality", "\xf5\x80"))
	}
	return request, upstream, kind
}

// goHeapStepPages is one growth step of the Go peer's heap in this mix (124 -> 136 pages).
const goHeapStepPages = 12

type soakCase struct {
	name   string
	module func(t *testing.T) *Module
	config string
	props  []property
	check  func(f *filter, o outcome) string // "" when the outcome is right
	// slack is how many pages the guest may still grow after warm-up. The Java modules allocate from a
	// fixed arena and must not grow at all. Go's collector paces itself by real time, so from run to run
	// the Go peer settles at 124 or at 136 pages (one growth step of its heap, 12 pages); in 30,000-request
	// runs it never went past 136. With its collector starved (fake WASI clocks) it reached 672 MB
	// within 5,000 requests: growth of that kind is far past one step.
	slack uint32
}

func TestSoakHostileMixMemoryFlat(t *testing.T) {
	served := []property{prop("west", clusterProp...), prop("us-west1/us-west1-a", localityProp...)}
	failoverCheck := func(f *filter, o outcome) string {
		got := failoverLine(f, o)
		want := "request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=1] failures=0 logs=[]"
		if got != want {
			return got
		}
		return ""
	}
	cases := []soakCase{
		{"failover-headers java", func(t *testing.T) *Module { return javaModule(t, "failover-headers") }, failoverConfig, served, failoverCheck, 0},
		{"failover-headers go", func(t *testing.T) *Module { return module(t, goPeerWasm) }, failoverConfig, served, failoverCheck, goHeapStepPages + 4},
		{"retry-budget", func(t *testing.T) *Module { return javaModule(t, "retry-budget") },
			`{"budgetPercent": 0, "minRetriesPerSecond": 0, "windowSeconds": 3600}`, nil,
			func(f *filter, o outcome) string {
				if o.local != nil || f.counter("meshfed_retry_budget_failures_total") != "0" {
					return retryLine(f, o)
				}
				return ""
			}, 0},
		{"telemetry-tags", func(t *testing.T) *Module { return javaModule(t, "telemetry-tags") }, telemetryConfig, nil,
			func(f *filter, o outcome) string {
				tags := ownedValues(o.requestHeaders, "x-meshfed-mesh") + "/" + ownedValues(o.requestHeaders, "x-meshfed-cluster") +
					"/" + ownedValues(o.requestHeaders, "x-meshfed-network") + "/" + ownedValues(o.requestHeaders, "x-meshfed-locality")
				if tags != "prod/east/net-1/us-east1/us-east1-b" || f.counter(telemetryScope+".failures_total") != "0" {
					return tags + " failures=" + f.counter(telemetryScope+".failures_total")
				}
				return ""
			}, 0},
	}
	n := soakRequests(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := start(t, c.module(t), c.config, c.props...)
			if !f.started {
				t.Fatalf("refused: %v", f.host.GetErrorLogs())
			}
			f.newLogLevels()
			// A third: Go's heap in the Go peer settles over the first thousand or so requests of this mix.
			warmup := n / 3
			var afterWarmup uint32
			for i := 0; i < n; i++ {
				if i == warmup {
					afterWarmup = f.vm.MemoryPages()
				}
				request, upstream, kind := hostileRequest(i)
				o := f.exchange(request, upstream)
				if bad := c.check(f, o); bad != "" {
					t.Fatalf("request %d (%s): %s", i, kind, bad)
				}
			}
			end := f.vm.MemoryPages()
			t.Logf("%d hostile-mix requests: guest memory %d pages after warm-up (%d requests), %d at the end", n, afterWarmup, warmup, end)
			if end > afterWarmup+c.slack {
				t.Errorf("guest memory grew after warm-up: %d -> %d pages (at most %d more allowed)", afterWarmup, end, c.slack)
			}
		})
	}
}
