// The Prometheus Operator release whose CRDs (example/prometheus-operator-crd/ of the module zip) the charts'
// PrometheusRule and PodMonitor are validated against by a real kube-apiserver (HelmChartsTest). Nothing is built
// or imported: test-peers/build.sh downloads the module zip and copies the CRD YAML out of it. v0.85.0 is the
// one version the Go module proxy lists for github.com/prometheus-operator/prometheus-operator (v0.95.2 answers 403).
module meshfed.io/test-peers/prometheus-operator

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
