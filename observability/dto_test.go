package observability

import (
	dto "github.com/prometheus/client_model/go"
)

type dtoFamily = dto.MetricFamily

// kindOf names a family's type as docs/observability.md's tables do.
func kindOf(f *dto.MetricFamily) string {
	switch f.GetType() {
	case dto.MetricType_COUNTER:
		return "counter"
	case dto.MetricType_GAUGE:
		return "gauge"
	case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
		return "histogram"
	case dto.MetricType_SUMMARY:
		return "summary"
	default:
		return "untyped"
	}
}
