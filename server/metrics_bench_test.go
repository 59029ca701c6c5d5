package server

import (
	"testing"
	"time"
)

// BenchmarkMetricsRequest is what counting one request adds to it: the
// counter and the latency histogram of its route, method and status.
func BenchmarkMetricsRequest(b *testing.B) {
	m := newMetrics()
	for b.Loop() {
		m.request("/api/v1/links/{id}", "GET", 200, time.Millisecond)
	}
}
