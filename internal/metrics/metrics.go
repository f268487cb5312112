// Package metrics holds varco's Prometheus collectors. A nil *Metrics is
// valid and records nothing, so tests need not build one.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the collectors the services update.
type Metrics struct {
	Registry *prometheus.Registry
	logins   *prometheus.CounterVec
	requests *prometheus.CounterVec
}

// Gauges are read when /metrics is scraped.
type Gauges struct {
	HashInFlight  func() float64
	HashQueued    func() float64
	OutboxBacklog func() float64
}

// New registers varco's collectors (and the Go runtime's) in a fresh registry.
func New(g Gauges) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varco_logins_total", Help: "Login attempts by outcome.",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "varco_http_requests_total", Help: "HTTP requests by status class.",
		}, []string{"class"}),
	}
	reg.MustRegister(m.logins, m.requests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	gauge := func(name, help string, f func() float64) {
		if f != nil {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
		}
	}
	gauge("varco_password_hash_in_flight", "Password hashes being computed.", g.HashInFlight)
	gauge("varco_password_hash_queued", "Password hashes waiting for a slot.", g.HashQueued)
	gauge("varco_outbox_backlog", "Notifications waiting for delivery.", g.OutboxBacklog)
	return m
}

// Login counts one login attempt with its outcome (an error code, or "authenticated").
func (m *Metrics) Login(outcome string) {
	if m != nil {
		m.logins.WithLabelValues(outcome).Inc()
	}
}

// Request counts one HTTP response by status class ("2xx", "4xx", …).
func (m *Metrics) Request(status int) {
	if m == nil {
		return
	}
	class := [...]string{"1xx", "2xx", "3xx", "4xx", "5xx"}
	i := status/100 - 1
	if i < 0 || i >= len(class) {
		return
	}
	m.requests.WithLabelValues(class[i]).Inc()
}
