// The Knative releases whose CRDs meshfed's manifests are validated against (see tools.go). Serving and Eventing at
// the same release: v0.50.0 is the newest both are served at by proxy.golang.org (eventing v0.51.0 answers 403
// "not available").
module meshfed.io/test-peers/knative

go 1.26.0

require (
	knative.dev/eventing v0.50.0
	knative.dev/serving v0.50.0
)
