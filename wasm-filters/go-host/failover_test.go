package gohost

import (
	"strings"
	"testing"
)

const failoverConfig = `{"localCluster": "east", "localLocality": "us-east1/us-east1-b",
 "addressMap": {"10.8.0.5:15443": {"cluster": "west", "locality": "us-west1/us-west1-a"}}}`

const failoverFailures = "meshfed_failover_headers_failures_total"

// failoverLine is failover-headers' whole observable outcome of one exchange as one line.
func failoverLine(f *filter, o outcome) string {
	return "request[caller=" + ownedValues(o.requestHeaders, "x-meshfed-caller-cluster") + "] response[cluster=" +
		ownedValues(o.responseHeaders, "x-meshfed-upstream-cluster") + " locality=" +
		ownedValues(o.responseHeaders, "x-meshfed-upstream-locality") + " failover=" +
		ownedValues(o.responseHeaders, "x-meshfed-failover") + " attempts=" +
		ownedValues(o.responseHeaders, "x-meshfed-attempts") + "] failures=" + f.counter(failoverFailures) +
		" logs=" + f.newLogLevels()
}

func TestFailoverTagsLocalRemoteAndMappedUpstreams(t *testing.T) {
	cases := []struct {
		name     string
		props    []property
		upstream [][2]string
		want     string
	}{
		{"served in the caller's own locality, first attempt",
			[]property{prop("east", clusterProp...), prop("us-east1/us-east1-b", localityProp...)},
			pairs(":status", "200"),
			"request[caller=east] response[cluster=east locality=us-east1/us-east1-b failover=false attempts=1] failures=0 logs=[]"},
		{"failed over to another cluster on the third attempt",
			[]property{prop("west", clusterProp...), prop("us-west1/us-west1-a", localityProp...)},
			pairs(":status", "200", "x-envoy-attempt-count", "3"),
			"request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=3] failures=0 logs=[]"},
		{"no endpoint metadata: the address is mapped",
			[]property{prop("10.8.0.5:15443", addressProp...)},
			pairs(":status", "503", "x-envoy-attempt-count", "2"),
			"request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=2] failures=0 logs=[]"},
		{"nothing known; a garbage attempt count is not echoed",
			[]property{prop("10.9.9.9:80", addressProp...)},
			pairs(":status", "200", "x-envoy-attempt-count", "x1"),
			"request[caller=east] response[cluster=unknown locality=unknown failover=false attempts=1] failures=0 logs=[]"},
	}
	forEachFailover(t, func(t *testing.T, m *Module) {
		for _, c := range cases {
			f := start(t, m, failoverConfig, c.props...)
			if !f.started {
				t.Fatalf("configuration refused: %v", f.host.GetErrorLogs())
			}
			f.newLogLevels()
			o := f.exchange(pairs(":path", "/a", ":method", "GET"), c.upstream)
			if got := failoverLine(f, o); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		}
	})
}

func TestFailoverOwnIdentityFromNodeAndCustomHeaderNames(t *testing.T) {
	config := `{"callerClusterHeader": "x-from", "clusterHeader": "x-served-by", "failoverHeader": "x-fo",
	 "clusterProperty": ["xds", "upstream_host_metadata", "filter_metadata", "istio", "cluster"]}`
	forEachFailover(t, func(t *testing.T, m *Module) {
		f := start(t, m, config,
			prop("cluster-7", "node", "metadata", "CLUSTER_ID"),
			prop("eu-west4", "node", "locality", "region"),
			prop("eu-west4-a", "node", "locality", "zone"),
			prop("cluster-9", "xds", "upstream_host_metadata", "filter_metadata", "istio", "cluster"),
			prop("eu-west4/eu-west4-a", localityProp...))
		o := f.exchange(pairs(":path", "/"), pairs(":status", "200"))
		got := ownedValues(o.requestHeaders, "x-from") + " " + ownedValues(o.responseHeaders, "x-served-by") + " " +
			ownedValues(o.responseHeaders, "x-fo") + " " + ownedValues(o.responseHeaders, "x-meshfed-upstream-locality")
		if want := "cluster-7 cluster-9 false eu-west4/eu-west4-a"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestFailoverNonASCIIAndMalformedPropertyValues(t *testing.T) {
	config := `{"localCluster": "z` + "\u00fc" + `rich", "localLocality": "eu/z` + "\u00fc" + `rich-` + "\u00e4" + `"}`
	forEachFailover(t, func(t *testing.T, m *Module) {
		f := start(t, m, config, prop("cl\u00fcster-\u6771", clusterProp...), prop("eu/z\u00fcrich-\u00e4", localityProp...))
		o := f.exchange(pairs(":path", "/"), pairs(":status", "200"))
		want := "request[caller=z\u00fcrich] response[cluster=cl\u00fcster-\u6771 locality=eu/z\u00fcrich-\u00e4 failover=false attempts=1] failures=0 logs=[]"
		if got := failoverLine(f, o); got != want {
			t.Errorf("non-ASCII:\n got %s\nwant %s", got, want)
		}
		// Malformed UTF-8 (0xFF, a cut-off two-byte sequence) becomes U+FFFD.
		f = start(t, m, config, prop("c\xffx", clusterProp...), prop("eu/z\xc3", localityProp...))
		o = f.exchange(pairs(":path", "/"), pairs(":status", "200"))
		want = "request[caller=z\u00fcrich] response[cluster=c\ufffdx locality=eu/z\ufffd failover=true attempts=1] failures=0 logs=[]"
		if got := failoverLine(f, o); got != want {
			t.Errorf("malformed:\n got %s\nwant %s", got, want)
		}
	})
}

func forged(more ...string) [][2]string {
	return concat(pairs(":status", "200", "x-meshfed-upstream-cluster", "forged", "x-meshfed-upstream-locality", "forged",
		"x-meshfed-failover", "forged", "x-meshfed-attempts", "forged"), pairs(more...))
}

// The hostile rows of HostileInputTest that this host can produce. It has no limit on what it hands the
// guest, and when the guest's allocator refuses a buffer it writes the data at address 0 regardless
// (Envoy fails the call instead), so the rows whose values are larger than the Java guest's arena are
// not here; a value as large as the arena takes is.
func TestFailoverHostileInput(t *testing.T) {
	served := []property{prop("west", clusterProp...), prop("us-west1/us-west1-a", localityProp...)}
	ok := "request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=1]"
	removed := "response[cluster=- locality=- failover=- attempts=-]"
	big := strings.Repeat("9", 200*1024)
	cases := []struct {
		name              string
		props             []property
		request, upstream [][2]string
		want              string
	}{
		{"forged upstream headers", served, pairs(":path", "/"), forged(), ok + " failures=0 logs=[]"},
		{"control characters in a property", []property{prop("west\r\nset-cookie: x", clusterProp...)},
			pairs(":path", "/"), forged(), "request[caller=east] " + removed + " failures=1 logs=[WARN]"},
		{"mixed-case forged headers (the host lower-cases names, as Envoy does)", served,
			pairs(":path", "/", "X-Meshfed-Caller-Cluster", "forged"),
			pairs(":status", "200", "X-Meshfed-Upstream-Cluster", "forged", "X-MESHFED-FAILOVER", "forged", "X-Envoy-Attempt-Count", "3"),
			"request[caller=east] response[cluster=west locality=us-west1/us-west1-a failover=true attempts=3] failures=0 logs=[]"},
		{"hundreds of headers, duplicate forged owned headers", served,
			concat(manyHeaders(400), pairs("x-meshfed-caller-cluster", "forged", "x-meshfed-caller-cluster", "forged2")),
			concat(forged("x-meshfed-upstream-cluster", "forged2", "x-meshfed-attempts", "forged2"), manyHeaders(300)),
			ok + " failures=0 logs=[]"},
		{"a 200 KiB request header and a 200 KiB response header", served,
			pairs(":path", "/", "cookie", big, "x-meshfed-caller-cluster", "forged"),
			forged("set-cookie", big), ok + " failures=0 logs=[]"},
		{"an attempt count that is not UTF-8", served, pairs(":path", "/"),
			pairs(":status", "200", "x-envoy-attempt-count", "3\xff"), ok + " failures=0 logs=[]"},
		{"an attempt count with a control character", served, pairs(":path", "/"),
			pairs(":status", "200", "x-envoy-attempt-count", "3\x01"), ok + " failures=0 logs=[]"},
		{"an attempt count of 17 bytes", served, pairs(":path", "/"),
			pairs(":status", "200", "x-envoy-attempt-count", strings.Repeat("1", 17)), ok + " failures=0 logs=[]"},
	}
	forEachFailover(t, func(t *testing.T, m *Module) {
		for _, c := range cases {
			f := start(t, m, failoverConfig, c.props...)
			o := f.exchange(c.request, c.upstream)
			if got := failoverLine(f, o); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		}
		// The caller's identity from a node property with CR LF: both directions fail closed, forged
		// headers included, and the next request tries again (and fails again).
		f := start(t, m, `{}`, prop("east\r\nx-injected: 1", "node", "metadata", "CLUSTER_ID"), served[0], served[1])
		for i := 1; i <= 2; i++ {
			o := f.exchange(pairs(":path", "/", "x-meshfed-caller-cluster", "forged"), forged())
			want := "request[caller=-] " + removed + " failures=" + itoa64(uint64(2*i)) + " logs=[WARN]"
			if got := failoverLine(f, o); got != want {
				t.Errorf("node property with CR LF, request %d:\n got %s\nwant %s", i, got, want)
			}
		}
	})
}

func TestFailoverRefusesConfiguration(t *testing.T) {
	cases := map[string]string{
		"":                               "configuration is empty (write {} for the defaults)",
		"   ":                            "unexpected end of input",
		`{"localCluster": 1e19}`:         "localCluster: must be a string",
		"{\"localCluster\": \"a\xffb\"}": "configuration is not valid UTF-8 (byte 19)",
		`{"localCluster": "\ud800"}`:     "unpaired surrogate",
		`{"localLocality": "a\r\nb"}`:    "localLocality: control characters cannot go into a header",
		`{"localityHeader": "X-Upper"}`:  "localityHeader",
		`{"clusterProperty": []}`:        "clusterProperty: property path must not be empty",
		`{"unknownKey": 1}`:              "unknownKey",
		`{"localCluster": "a", "localCluster": "b"}`:          "localCluster",
		`{"addressMap": {"1.2.3.4:80": {"locality": "r/z"}}}`: "addressMap.1.2.3.4:80.cluster: required",
	}
	forEachFailover(t, func(t *testing.T, m *Module) {
		for _, config := range sortedKeys(cases) {
			f := start(t, m, config)
			errs := f.host.GetErrorLogs()
			if f.started || len(errs) == 0 || !strings.Contains(errs[len(errs)-1], "failover-headers: rejected configuration: ") ||
				!strings.Contains(errs[len(errs)-1], cases[config]) {
				t.Errorf("config %q: started=%v errors=%q, want refused naming %q", config, f.started, errs, cases[config])
			}
		}
	})
}
