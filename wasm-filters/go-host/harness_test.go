package gohost

import (
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Where the modules are: MESHFED_WASM_DIR holds the Java-built ones, MESHFED_GO_PEER_WASM is the Go peer
// of failover-headers. The defaults are where `mvn` unpacks them from their jars (run-tests.sh sets both).
var (
	wasmDir    = envOr("MESHFED_WASM_DIR", "target/wasm")
	goPeerWasm = envOr("MESHFED_GO_PEER_WASM", "target/wasm/failover-headers-go.wasm")
)

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func TestMain(m *testing.M) {
	// The emulator prints every guest log line through the standard logger; the tests read them from it.
	log.SetOutput(io.Discard)
	os.Exit(m.Run())
}

var (
	modulesMu sync.Mutex
	modules   = map[string]*Module{}
)

// module loads a built module once; a missing file fails the test, naming the build that makes it.
func module(t testing.TB, path string) *Module {
	t.Helper()
	modulesMu.Lock()
	defer modulesMu.Unlock()
	if m, ok := modules[path]; ok {
		return m
	}
	m, err := LoadModule(path)
	if err != nil {
		t.Fatalf("cannot load %s (build the modules with mvn -pl wasm-filters/go-host -am package -DskipTests, "+
			"or set MESHFED_WASM_DIR / MESHFED_GO_PEER_WASM): %v", path, err)
	}
	modules[path] = m
	return m
}

func javaModule(t testing.TB, name string) *Module {
	return module(t, filepath.Join(wasmDir, name+".wasm"))
}

// failoverModules are the two builds of failover-headers that must behave the same.
func failoverModules(t testing.TB) map[string]*Module {
	return map[string]*Module{"java": javaModule(t, "failover-headers"), "go": module(t, goPeerWasm)}
}

// forEachFailover runs f once per failover-headers build, as subtests named after it.
func forEachFailover(t *testing.T, f func(t *testing.T, m *Module)) {
	mods := failoverModules(t)
	for _, name := range []string{"java", "go"} {
		m := mods[name]
		t.Run(name, func(t *testing.T) { f(t, m) })
	}
}

type property struct {
	path  []string
	value string
}

func prop(value string, path ...string) property {
	return property{path: path, value: value}
}

var (
	clusterProp  = []string{"xds", "upstream_host_metadata", "filter_metadata", "meshfed", "cluster"}
	localityProp = []string{"xds", "upstream_host_metadata", "filter_metadata", "meshfed", "locality"}
	addressProp  = []string{"upstream", "address"}
)

// filter is one VM of a module in the emulator, configured. The emulator holds one at a time (its state
// is global), so starting a filter closes the one before it.
type filter struct {
	t       testing.TB
	vm      *VM
	host    proxytest.HostEmulator
	reset   func()
	started bool
	logSeen map[string]int
}

var current *filter

func (f *filter) close() {
	if f.reset != nil {
		f.reset()
		f.vm.Close()
		f.reset = nil
	}
	if current == f {
		current = nil
	}
}

// start instantiates m, creates its root context and configures it; started says whether the module
// accepted the configuration. The VM is released when the test ends.
func start(t testing.TB, m *Module, config string, props ...property) *filter {
	t.Helper()
	if current != nil {
		current.close()
	}
	vm, err := NewVM(m)
	if err != nil {
		t.Fatalf("instantiate %s: %v", m.Name, err)
	}
	opt := proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration([]byte(config))
	for _, p := range props {
		opt = opt.WithProperty(p.path, []byte(p.value))
	}
	host, reset := proxytest.NewHostEmulator(opt)
	f := &filter{t: t, vm: vm, host: host, reset: reset}
	current = f
	t.Cleanup(f.close)
	if host.StartVM() != types.OnVMStartStatusOK {
		t.Fatalf("%s: proxy_on_vm_start refused", m.Name)
	}
	f.started = bool(host.StartPlugin())
	f.noTrap()
	f.logSeen = f.logCounts()
	return f
}

func (f *filter) noTrap() {
	f.t.Helper()
	if f.vm.Err != nil {
		f.t.Fatalf("the module trapped: %v", f.vm.Err)
	}
}

// outcome is what the proxy observed of one exchange.
type outcome struct {
	request, response types.Action
	local             *proxytest.LocalHttpResponse
	requestHeaders    [][2]string
	responseHeaders   [][2]string
}

// exchange runs one stream the way the proxy would: request headers, then (unless the filter answered
// locally or paused) the upstream's response headers, then end of stream (done, log, delete).
func (f *filter) exchange(request [][2]string, upstream [][2]string) outcome {
	f.t.Helper()
	id := f.host.InitializeHttpContext()
	var o outcome
	o.request = f.host.CallOnRequestHeaders(id, request, false)
	o.local = f.host.GetSentLocalResponse(id)
	if o.local == nil && o.request == types.ActionContinue {
		o.response = f.host.CallOnResponseHeaders(id, upstream, false)
	}
	o.requestHeaders = f.host.GetCurrentRequestHeaders(id)
	o.responseHeaders = f.host.GetCurrentResponseHeaders(id)
	f.host.CompleteHttpContext(id)
	f.noTrap()
	return o
}

// logCounts is the number of log lines at each level so far.
func (f *filter) logCounts() map[string]int {
	return map[string]int{"TRACE": len(f.host.GetTraceLogs()), "DEBUG": len(f.host.GetDebugLogs()),
		"INFO": len(f.host.GetInfoLogs()), "WARN": len(f.host.GetWarnLogs()),
		"ERROR": len(f.host.GetErrorLogs()), "CRITICAL": len(f.host.GetCriticalLogs())}
}

// newLogLevels lists the levels logged at since the last call (or since configuration), as "[WARN]".
func (f *filter) newLogLevels() string {
	now := f.logCounts()
	var levels []string
	for _, l := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "CRITICAL"} {
		if now[l] > f.logSeen[l] {
			levels = append(levels, l)
		}
	}
	f.logSeen = now
	return "[" + strings.Join(levels, ",") + "]"
}

func (f *filter) counter(name string) string {
	v, err := f.host.GetCounterMetric(name)
	if err != nil {
		return "undefined"
	}
	return fmt.Sprint(v)
}

// owned is every value of name in the map joined with '|', or "-" when there is none.
func ownedValues(headers [][2]string, name string) string {
	var values []string
	for _, h := range headers {
		if strings.EqualFold(h[0], name) {
			values = append(values, h[1])
		}
	}
	if len(values) == 0 {
		return "-"
	}
	return strings.Join(values, "|")
}

func pairs(kv ...string) [][2]string {
	out := make([][2]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, [2]string{kv[i], kv[i+1]})
	}
	return out
}

func manyHeaders(n int) [][2]string {
	out := make([][2]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, [2]string{fmt.Sprintf("x-h-%d", i), fmt.Sprintf("v%d", i)})
	}
	return out
}

func concat(lists ...[][2]string) [][2]string {
	var out [][2]string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
