//go:build tools

// Package tools pins the Knative releases whose CRDs meshfed's manifests are validated against
// (knative/src/test/java/io/meshfed/knative/ManifestsServerValidationTest.java). It imports the empty placeholder
// packages Knative ships beside its CRD YAML for exactly this use, so `go mod download` fetches the modules and
// test-peers/build.sh copies the YAML out of them. Nothing here is built.
package tools

import (
	_ "knative.dev/eventing/config/core/resources"
	_ "knative.dev/serving/config/core/300-resources"
)
