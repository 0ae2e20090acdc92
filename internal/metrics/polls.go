package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// pollBuckets are the upper bounds, in seconds, of the poll duration
// histogram: a netlink sample takes about 0.5 ms on a quiet host and 9 ms
// with 50k sockets; the gopsutil path 10 ms to over a second.
var pollBuckets = []float64{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

// Polls counts the monitor's kernel samples: hand Observe to
// monitor.Options.OnPoll, and the Polls to Config.
type Polls struct {
	took   prometheus.Histogram
	errors prometheus.Counter
}

// NewPolls returns empty sample metrics.
func NewPolls() *Polls {
	return &Polls{
		took: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "connlab_sampler_poll_duration_seconds",
			Help:    "Time one kernel sample of every watched port took (failed samples included).",
			Buckets: pollBuckets,
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "connlab_sampler_errors_total",
			Help: "Kernel samples that failed (the poll is skipped; the log says why).",
		}),
	}
}

// Observe records one sample. It never blocks (atomic updates only), as
// monitor.Options.OnPoll requires.
func (p *Polls) Observe(took time.Duration, err error) {
	p.took.Observe(took.Seconds())
	if err != nil {
		p.errors.Inc()
	}
}
