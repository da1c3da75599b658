module github.com/meshfed/meshfed/wasm-filters/go-host

go 1.25.0

require github.com/tetratelabs/wazero v1.12.0

require github.com/proxy-wasm/proxy-wasm-go-sdk v0.0.0-20260105142703-44c7d5847745

require golang.org/x/sys v0.44.0 // indirect
