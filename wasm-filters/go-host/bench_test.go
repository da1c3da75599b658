package gohost

import (
	"fmt"
	"syscall"
	"testing"
)

// BenchmarkFailoverHeaders runs the benchmark request of FilterBenchmark (request headers, response
// headers, end of stream) through both builds of failover-headers in this host, on wazero's compiler.
// Reports cpu-ns/op (process CPU time, getrusage: the guest, the emulator and Go's own collector) beside
// the wall-clock ns/op. Run: go test -run '^$' -bench FailoverHeaders -benchtime 20000x -count 3 .
// (with MESHFED_WASM_DIR / MESHFED_GO_PEER_WASM, or after run-tests.sh's mvn build).
func BenchmarkFailoverHeaders(b *testing.B) {
	mods := failoverModules(b)
	for _, name := range []string{"java", "go"} {
		b.Run(name, func(b *testing.B) {
			f := start(b, mods[name], `{"localCluster": "east", "localLocality": "r0/z0"}`,
				prop("west", clusterProp...), prop("r1/z1", localityProp...))
			response := pairs(":status", "200", "content-type", "application/json", "x-envoy-attempt-count", "1")
			request := func(i int) [][2]string {
				attempt := "1"
				if i%10 == 0 {
					attempt = "2"
				}
				return pairs(":method", "GET", ":path", fmt.Sprintf("/api/items/%d", i&1023), ":authority", "reviews.prod.svc",
					"user-agent", "bench/1.0", "x-request-id", fmt.Sprintf("req-%d", i), "x-envoy-attempt-count", attempt)
			}
			for i := 0; i < 20000; i++ {
				f.exchange(request(i), response)
			}
			b.ResetTimer()
			cpu0 := cpuNanos()
			for i := 0; i < b.N; i++ {
				f.exchange(request(i), response)
			}
			b.ReportMetric(float64(cpuNanos()-cpu0)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(mods[name].Size), "module-bytes")
		})
	}
}

func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
