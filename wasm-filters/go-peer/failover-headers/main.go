// Command failover-headers is the failover-headers filter once more, written with the proxy-wasm Go SDK
// for standard Go (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared): the same configuration, headers,
// metric, log lines and failure behaviour as the Java filter in wasm-filters/filters, so the two builds
// can be run side by side on the same requests (docs/wasm-filters.md, "The Go peer").
//
// Fails closed like the Java filter: the headers it owns are cleared in every spelling and copy, then
// set; when anything fails (a header map or property larger than the Java guest takes, a property value
// with control characters, a host error) the owned headers of that direction are removed instead, and
// the failure is counted and logged at WARN at powers of two.
package main

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	unknown        = "unknown"
	failuresMetric = "meshfed_failover_headers_failures_total"
	// maxAttemptsBytes is the longest attempt count read from the response; a longer value is not a count.
	maxAttemptsBytes = 16
	// maxHostData is the most host data one call hands the Java guest (its arena less the pinned region),
	// applied here too so both builds fail closed on the same input.
	maxHostData = 256*1024 - 16 - 8*1024
)

func main() {}

func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &filter{} })
}

// filter is the root context: one per plugin configuration.
type filter struct {
	types.DefaultPluginContext
	config           *config
	localCluster     string
	localLocality    string
	identityResolved bool
	failures         *failures
	requestNames     []string
	responseNames    []string
}

func (f *filter) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	var raw []byte
	if pluginConfigurationSize > 0 {
		if pluginConfigurationSize > maxHostData {
			proxywasm.LogError(fmt.Sprintf("proxy_on_configure failed: configuration of %d bytes is larger than %d",
				pluginConfigurationSize, maxHostData))
			return false
		}
		b, err := proxywasm.GetPluginConfiguration()
		if err != nil && !errors.Is(err, types.ErrorStatusNotFound) {
			proxywasm.LogError("proxy_on_configure failed: " + err.Error())
			return false
		}
		raw = b
	}
	c, err := parseConfig(raw)
	if err != nil {
		proxywasm.LogError("failover-headers: rejected configuration: " + err.Error())
		return false
	}
	f.config = c
	f.identityResolved = false
	f.requestNames = []string{c.callerClusterHeader}
	f.responseNames = []string{c.clusterHeader, c.localityHeader, c.failoverHeader, c.attemptsHeader, c.attemptCountSource}
	if f.failures == nil {
		f.failures = &failures{filter: "failover-headers", metric: proxywasm.DefineCounterMetric(failuresMetric)}
	}
	proxywasm.LogInfo("failover-headers: configured")
	return true
}

// resolveIdentity sets the caller's own cluster and locality: configured, else the node's CLUSTER_ID
// metadata and locality. At the first request, because not every host exposes node properties while
// the plugin is being configured.
func (f *filter) resolveIdentity() error {
	if f.identityResolved {
		return nil
	}
	c := f.config
	cluster := c.localCluster
	if !c.hasLocalCluster {
		v, err := nodeProperty("node CLUSTER_ID", "node", "metadata", "CLUSTER_ID")
		if err != nil {
			return err
		}
		cluster = orElse(v, unknown)
	}
	locality := c.localLocality
	if !c.hasLocalLocality {
		region, err := nodeProperty("node region", "node", "locality", "region")
		if err != nil {
			return err
		}
		zone, err := nodeProperty("node zone", "node", "locality", "zone")
		if err != nil {
			return err
		}
		locality = region
		if zone != "" {
			locality = region + "/" + zone
		}
	}
	f.localCluster, f.localLocality, f.identityResolved = cluster, locality, true
	return nil
}

func nodeProperty(what string, path ...string) (string, error) {
	b, err := property(path)
	if err != nil {
		return "", err
	}
	if err := headerSafe(what, b); err != nil {
		return "", err
	}
	return decode(b), nil
}

func (f *filter) NewHttpContext(uint32) types.HttpContext {
	return &exchange{root: f}
}

// exchange is one HTTP stream.
type exchange struct {
	types.DefaultHttpContext
	root *filter
}

func (e *exchange) OnHttpRequestHeaders(int, bool) types.Action {
	if err := e.requestHeaders(); err != nil {
		proxywasm.RemoveHttpRequestHeader(e.root.config.callerClusterHeader)
		e.root.failures.record("request headers", err.Error(), "caller header removed")
	}
	return types.ActionContinue
}

func (e *exchange) requestHeaders() error {
	f := e.root
	if err := f.resolveIdentity(); err != nil {
		return err
	}
	headers, err := proxywasm.GetHttpRequestHeaders()
	if err != nil {
		return fmt.Errorf("proxy_get_header_map_pairs: %w", err)
	}
	if err := fitsHost(headers); err != nil {
		return err
	}
	m := matchHeaders(headers, f.requestNames, 0)
	if err := clearOwned(proxywasm.RemoveHttpRequestHeader, m, f.requestNames, 1); err != nil {
		return err
	}
	return proxywasm.ReplaceHttpRequestHeader(f.config.callerClusterHeader, f.localCluster)
}

func (e *exchange) OnHttpResponseHeaders(int, bool) types.Action {
	if err := e.responseHeaders(); err != nil {
		c := e.root.config
		for _, name := range []string{c.clusterHeader, c.localityHeader, c.failoverHeader, c.attemptsHeader} {
			proxywasm.RemoveHttpResponseHeader(name)
		}
		e.root.failures.record("response headers", err.Error(), "upstream headers removed")
	}
	return types.ActionContinue
}

func (e *exchange) responseHeaders() error {
	f := e.root
	c := f.config
	if err := f.resolveIdentity(); err != nil {
		return err
	}
	headers, err := proxywasm.GetHttpResponseHeaders()
	if err != nil {
		return fmt.Errorf("proxy_get_header_map_pairs: %w", err)
	}
	if err := fitsHost(headers); err != nil {
		return err
	}
	m := matchHeaders(headers, f.responseNames, maxAttemptsBytes)
	if err := clearOwned(proxywasm.RemoveHttpResponseHeader, m, f.responseNames, 4); err != nil {
		return err
	}
	cluster, err := upstreamProperty("cluster property", c.clusterProperty)
	if err != nil {
		return err
	}
	locality, err := upstreamProperty("locality property", c.localityProperty)
	if err != nil {
		return err
	}
	if cluster == nil || locality == nil {
		address, err := property(c.addressProperty)
		if err != nil {
			return err
		}
		if mapped, ok := c.addressMap[decode(address)]; ok && len(address) > 0 {
			if cluster == nil {
				cluster = []byte(mapped.cluster)
			}
			if locality == nil {
				locality = []byte(mapped.locality)
			}
		}
	}
	clusterValue := unknown
	if cluster != nil {
		clusterValue = decode(cluster)
	}
	known := len(locality) > 0
	localityValue := unknown
	if known {
		localityValue = decode(locality)
	}
	failover := known && f.localLocality != "" && localityValue != f.localLocality
	attempts := "1"
	if vs := m[4].values; len(vs) > 0 && vs[0] != nil && isCount(*vs[0]) {
		attempts = *vs[0]
	}
	for _, h := range [][2]string{{c.clusterHeader, clusterValue}, {c.localityHeader, localityValue},
		{c.failoverHeader, fmt.Sprint(failover)}, {c.attemptsHeader, attempts}} {
		if err := proxywasm.ReplaceHttpResponseHeader(h[0], h[1]); err != nil {
			return fmt.Errorf("proxy_replace_header_map_value: %w", err)
		}
	}
	return nil
}

// property is the property at path, nil when absent; an error when the host fails or hands over more
// than the Java guest takes.
func property(path []string) ([]byte, error) {
	b, err := proxywasm.GetProperty(path)
	if errors.Is(err, types.ErrorStatusNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("proxy_get_property: %w", err)
	}
	if len(b) > maxHostData {
		return nil, fmt.Errorf("proxy_get_property: %d bytes, more than %d", len(b), maxHostData)
	}
	return b, nil
}

// upstreamProperty is a non-empty property that can go into a header as it is, or nil when absent or empty.
func upstreamProperty(what string, path []string) ([]byte, error) {
	b, err := property(path)
	if err != nil || len(b) == 0 {
		return nil, err
	}
	if err := headerSafe(what, b); err != nil {
		return nil, err
	}
	return b, nil
}

// headerSafe refuses a value with control characters (CR and LF would split the header in a host that
// does not check), so the exchange fails closed.
func headerSafe(what string, b []byte) error {
	for _, c := range b {
		if c < 0x20 || c == 0x7F {
			return fmt.Errorf("%s holds control character %d", what, c)
		}
	}
	return nil
}

// fitsHost fails for a header map larger (as the host serializes it) than the Java guest takes.
func fitsHost(headers [][2]string) error {
	size := 4
	for _, h := range headers {
		size += 8 + len(h[0]) + 1 + len(h[1]) + 1
	}
	if size > maxHostData {
		return fmt.Errorf("proxy_get_header_map_pairs: %d bytes, more than %d", size, maxHostData)
	}
	return nil
}

// match is what a header map holds for one name compared ignoring ASCII case: its values in map order
// (nil for a value over the size asked for) and the other spellings present.
type match struct {
	values         []*string
	otherSpellings []string
}

func matchHeaders(headers [][2]string, names []string, maxValueBytes int) []match {
	out := make([]match, len(names))
	for _, h := range headers {
		for n, name := range names {
			if !asciiEqualFold(h[0], name) {
				continue
			}
			m := &out[n]
			if h[0] != name && !contains(m.otherSpellings, h[0]) {
				m.otherSpellings = append(m.otherSpellings, h[0])
			}
			var v *string
			if len(h[1]) <= maxValueBytes {
				s := decode([]byte(h[1]))
				v = &s
			}
			m.values = append(m.values, v)
		}
	}
	return out
}

// clearOwned leaves at most one lower-case copy of each of the first owned names, whatever the host's
// remove and replace do with duplicates (current Envoy removes and replaces every copy; older Envoys and
// the Go SDK's host emulator act on the first).
func clearOwned(remove func(string) error, m []match, names []string, owned int) error {
	for n := 0; n < owned; n++ {
		for _, spelling := range m[n].otherSpellings {
			if err := remove(spelling); err != nil {
				return fmt.Errorf("proxy_remove_header_map_value: %w", err)
			}
		}
		for copy := 1; copy < len(m[n].values); copy++ {
			if err := remove(names[n]); err != nil {
				return fmt.Errorf("proxy_remove_header_map_value: %w", err)
			}
		}
	}
	return nil
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// decode is b as text, each byte that starts no well-formed UTF-8 sequence replaced by U+FFFD (as the
// Java SDK's Utf8.decode does).
func decode(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]rune, 0, len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		out = append(out, r)
		i += n
	}
	return string(out)
}

// isCount is true for 1 to 4 ASCII digits.
func isCount(s string) bool {
	if s == "" || len([]rune(s)) > 4 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func orElse(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// failures counts a filter's failures and logs the 1st, 2nd, 4th, 8th ... at WARN with the count so far.
type failures struct {
	filter string
	metric proxywasm.MetricCounter
	count  uint64
}

func (f *failures) record(what, reason, outcome string) {
	f.count++
	f.metric.Increment(1)
	if f.count&(f.count-1) == 0 {
		proxywasm.LogWarn(fmt.Sprintf("%s: %s failed (%s); %s [failure %d of this VM; logged at powers of two]",
			f.filter, what, reason, outcome, f.count))
	}
}
