// Package gohost runs proxy-wasm modules in a second, independent proxy-wasm host: the proxy-wasm Go
// SDK's host emulator (package proxytest) on the wazero runtime. The emulator's host functions (header
// maps, properties, metrics, shared data, local responses, logs) are the SDK's own, registered by its
// exportHostABI; this package only instantiates the module beside them and calls the module's exports
// the way Envoy does.
//
// Where the emulator differs from Envoy in a way a guest can see, this package does what Envoy does, and
// nothing else:
//
//   - The emulator has no proxy_get_current_time_nanoseconds (the Go SDK offers guests no clock), which
//     Envoy exports in ABI 0.2.1 and every meshfed module imports.
//   - The emulator keeps pointers into guest memory after a call returns: log lines, metric names,
//     header values added or replaced (and their names when already lower-case), a local response's
//     details and body all alias the guest's buffer, so the guest's next host call can rewrite a header
//     the emulator already holds. Envoy copies during the call, and the ABI lets a guest reuse its
//     buffers once a call returns. These five calls (proxy_log, proxy_define_metric,
//     proxy_add_header_map_value, proxy_replace_header_map_value, proxy_send_local_response) copy their
//     arguments to host memory here, then run the emulator's own implementation.
//   - The SDK's loader leaves wazero's default WASI clocks, which are fakes that barely move; Go's
//     collector in a Go guest then stops completing cycles and its memory grows with every request.
//     Envoy hands WASI the real clocks, and so does this package.
//   - The SDK's loader ends a stream with proxy_on_log alone. Envoy calls proxy_on_done, proxy_on_log
//     and proxy_on_delete, and a guest that keeps a context per stream frees it only on the last one.
//
// The first two are done by re-importing those functions from the module "meshfed_go_host" (a rewrite
// of the module's import section; no code changes), the last two when instantiating and calling here.
//
// Not safe for concurrent use: the emulator keeps its state in package variables, so one VM at a time.
package gohost

import (
	"context"
	"fmt"
	"os"
	"time"
	_ "unsafe" // go:linkname

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// exportHostABI instantiates the emulator's "env" host module (every proxy_* host function) in r.
//
//go:linkname exportHostABI github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest.exportHostABI
func exportHostABI(ctx context.Context, r wazero.Runtime) error

// Keeps the SDK's loader, and with it exportHostABI, linked in.
var _ = proxytest.NewWasmVMContext

// hostModule provides the functions in hostAdditions (see the package comment).
const hostModule = "meshfed_go_host"

var hostAdditions = map[string]bool{"proxy_get_current_time_nanoseconds": true, "proxy_log": true,
	"proxy_define_metric": true, "proxy_add_header_map_value": true, "proxy_replace_header_map_value": true,
	"proxy_send_local_response": true}

// The emulator's implementations of the calls this package copies arguments for, behind the SDK's wasm
// glue (internal.Proxy*; every enum there is a uint32).
//
//go:linkname sdkLog github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/internal.ProxyLog
func sdkLog(level uint32, message *byte, size int32) uint32

//go:linkname sdkDefineMetric github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/internal.ProxyDefineMetric
func sdkDefineMetric(metricType uint32, name *byte, size int32, returnID *uint32) uint32

//go:linkname sdkAddHeaderMapValue github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/internal.ProxyAddHeaderMapValue
func sdkAddHeaderMapValue(mapType uint32, key *byte, keySize int32, value *byte, valueSize int32) uint32

//go:linkname sdkReplaceHeaderMapValue github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/internal.ProxyReplaceHeaderMapValue
func sdkReplaceHeaderMapValue(mapType uint32, key *byte, keySize int32, value *byte, valueSize int32) uint32

//go:linkname sdkSendLocalResponse github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/internal.ProxySendLocalResponse
func sdkSendLocalResponse(status uint32, details *byte, detailsSize int32, body *byte, bodySize int32,
	headers *byte, headersSize int32, grpcStatus int32) uint32

const statusInvalidMemoryAccess = 3

// owned copies size bytes of guest memory at ptr to host memory; nil for none, ok false when out of bounds.
func owned(mod api.Module, ptr, size uint32) (*byte, bool) {
	if size == 0 {
		return nil, true
	}
	b, ok := mod.Memory().Read(ptr, size)
	if !ok {
		return nil, false
	}
	c := make([]byte, size)
	copy(c, b)
	return &c[0], true
}

// instantiateHostAdditions instantiates hostModule in r.
func instantiateHostAdditions(ctx context.Context, r wazero.Runtime) error {
	_, err := r.NewHostModuleBuilder(hostModule).
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, retTime uint32) uint32 {
		if !mod.Memory().WriteUint64Le(retTime, uint64(time.Now().UnixNano())) {
			return statusInvalidMemoryAccess
		}
		return 0
	}).Export("proxy_get_current_time_nanoseconds").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, level, msg, size uint32) uint32 {
		m, ok := owned(mod, msg, size)
		if !ok {
			return statusInvalidMemoryAccess
		}
		return sdkLog(level, m, int32(size))
	}).Export("proxy_log").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, metricType, name, size, retID uint32) uint32 {
		n, ok := owned(mod, name, size)
		if !ok {
			return statusInvalidMemoryAccess
		}
		var id uint32
		rc := sdkDefineMetric(metricType, n, int32(size), &id)
		if !mod.Memory().WriteUint32Le(retID, id) {
			return statusInvalidMemoryAccess
		}
		return rc
	}).Export("proxy_define_metric").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, mapType, key, keySize, value, valueSize uint32) uint32 {
		k, ok1 := owned(mod, key, keySize)
		v, ok2 := owned(mod, value, valueSize)
		if !ok1 || !ok2 {
			return statusInvalidMemoryAccess
		}
		return sdkAddHeaderMapValue(mapType, k, int32(keySize), v, int32(valueSize))
	}).Export("proxy_add_header_map_value").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, mapType, key, keySize, value, valueSize uint32) uint32 {
		k, ok1 := owned(mod, key, keySize)
		v, ok2 := owned(mod, value, valueSize)
		if !ok1 || !ok2 {
			return statusInvalidMemoryAccess
		}
		return sdkReplaceHeaderMapValue(mapType, k, int32(keySize), v, int32(valueSize))
	}).Export("proxy_replace_header_map_value").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, mod api.Module, status, details, detailsSize, body, bodySize,
		headers, headersSize, grpcStatus uint32) uint32 {
		d, ok1 := owned(mod, details, detailsSize)
		b, ok2 := owned(mod, body, bodySize)
		h, ok3 := owned(mod, headers, headersSize)
		if !ok1 || !ok2 || !ok3 {
			return statusInvalidMemoryAccess
		}
		return sdkSendLocalResponse(status, d, int32(detailsSize), b, int32(bodySize), h, int32(headersSize), int32(grpcStatus))
	}).Export("proxy_send_local_response").
		Instantiate(ctx)
	return err
}

var compilationCache = wazero.NewCompilationCache()

// Module is a proxy-wasm module ready to instantiate: its bytes with the clock import routed.
type Module struct {
	Name string
	Size int // bytes of the module as built
	wasm []byte
}

// LoadModule reads a built module.
func LoadModule(path string) (*Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	routed, err := renameImportModule(b, "env", hostAdditions, hostModule)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &Module{Name: path, Size: len(b), wasm: routed}, nil
}

// VM is one instance of a module, as a types.VMContext the emulator drives. A trap or host panic in any
// call is kept in Err (the first one) and the call answers as if the guest had said continue.
type VM struct {
	Err error

	ctx     context.Context
	runtime wazero.Runtime
	mod     api.Module
	exports map[string]api.Function
}

// NewVM instantiates m with WASI, the emulator's env module and the clock.
func NewVM(m *Module) (*VM, error) {
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compilationCache))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		return nil, err
	}
	if err := exportHostABI(ctx, r); err != nil {
		return nil, err
	}
	if err := instantiateHostAdditions(ctx, r); err != nil {
		return nil, err
	}
	compiled, err := r.CompileModule(ctx, m.wasm)
	if err != nil {
		return nil, err
	}
	// Same start functions and output as the SDK's loader; real clocks, as Envoy gives WASI.
	mod, err := r.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().
		WithStartFunctions("_initialize", "_start", "main").WithStdout(os.Stderr).WithStderr(os.Stderr).
		WithSysWalltime().WithSysNanotime().WithSysNanosleep())
	if err != nil {
		return nil, err
	}
	vm := &VM{ctx: ctx, runtime: r, mod: mod, exports: map[string]api.Function{}}
	for _, name := range []string{"proxy_on_vm_start", "proxy_on_context_create", "proxy_on_configure",
		"proxy_on_done", "proxy_on_log", "proxy_on_delete", "proxy_on_tick",
		"proxy_on_request_headers", "proxy_on_response_headers"} {
		vm.exports[name] = mod.ExportedFunction(name)
	}
	return vm, nil
}

// MemoryPages is the guest's linear memory size in 64 KiB pages.
func (vm *VM) MemoryPages() uint32 {
	return vm.mod.Memory().Size() / 65536
}

// Close releases the runtime.
func (vm *VM) Close() error {
	return vm.runtime.Close(vm.ctx)
}

// call runs an export; a missing export answers 1 (continue / true), as a host treats an absent callback.
func (vm *VM) call(name string, args ...uint64) uint64 {
	f := vm.exports[name]
	if f == nil {
		return 1
	}
	res, err := f.Call(vm.ctx, args...)
	if err != nil {
		if vm.Err == nil {
			vm.Err = fmt.Errorf("%s: %w", name, err)
		}
		return 0
	}
	if len(res) == 0 {
		return 1
	}
	return res[0]
}

// OnVMStart implements types.VMContext.
func (vm *VM) OnVMStart(vmConfigurationSize int) types.OnVMStartStatus {
	return vm.call("proxy_on_vm_start", 0, uint64(vmConfigurationSize)) == 1
}

// NewPluginContext implements types.VMContext.
func (vm *VM) NewPluginContext(contextID uint32) types.PluginContext {
	vm.call("proxy_on_context_create", uint64(contextID), 0)
	return &pluginContext{vm: vm, id: uint64(contextID)}
}

type pluginContext struct {
	types.DefaultPluginContext
	vm *VM
	id uint64
}

func (p *pluginContext) OnPluginStart(pluginConfigurationSize int) types.OnPluginStartStatus {
	return p.vm.call("proxy_on_configure", p.id, uint64(pluginConfigurationSize)) == 1
}

func (p *pluginContext) OnPluginDone() bool {
	return p.vm.call("proxy_on_done", p.id) == 1
}

func (p *pluginContext) OnTick() {
	p.vm.call("proxy_on_tick", p.id)
}

func (p *pluginContext) NewHttpContext(contextID uint32) types.HttpContext {
	p.vm.call("proxy_on_context_create", uint64(contextID), p.id)
	return &httpContext{vm: p.vm, id: uint64(contextID)}
}

type httpContext struct {
	types.DefaultHttpContext
	vm *VM
	id uint64
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	return types.Action(h.vm.call("proxy_on_request_headers", h.id, uint64(numHeaders), wasmBool(endOfStream)))
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	return types.Action(h.vm.call("proxy_on_response_headers", h.id, uint64(numHeaders), wasmBool(endOfStream)))
}

// OnHttpStreamDone ends the stream as Envoy does: done, log, delete.
func (h *httpContext) OnHttpStreamDone() {
	h.vm.call("proxy_on_done", h.id)
	h.vm.call("proxy_on_log", h.id)
	h.vm.call("proxy_on_delete", h.id)
}

func wasmBool(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
