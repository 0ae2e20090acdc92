package experiment

import "time"

// Limits of a Spec. They are exported so the CLI can quote them; the UI
// reads them from the schema (Schema).
const (
	// MaxDuration bounds a workload's duration, and caps a run that is
	// neither request- nor duration-bound (until stopped).
	MaxDuration = 10 * time.Minute
	// DefaultObserve is the observe tail when none is given (API, CLI and
	// UI alike): long enough to see TIME_WAIT drain (60 s on Linux); the
	// tail ends sooner when the run has nothing left to drain.
	DefaultObserve = 65 * time.Second
	// MaxObserve bounds the observe tail.
	MaxObserve = 10 * time.Minute
	// MaxConcurrency bounds the client's workers.
	MaxConcurrency = 1000
	// MaxRate bounds the target request rate (requests per second, all workers).
	MaxRate = 20000
	// MaxBodyBytes bounds the response body size.
	MaxBodyBytes = 8 << 20
	// MaxRequests bounds a request-bound workload.
	MaxRequests = 10_000_000
	// MaxTimeout bounds the server and client timeouts and the interval.
	MaxTimeout = 10 * time.Minute
	// MaxDelay bounds the handler's delay.
	MaxDelay = time.Minute
	// MaxPool bounds MaxIdleConnsPerHost and MaxConnsPerHost.
	MaxPool = 100_000
	// MaxKeepAlive bounds the TCP keepalive idle time and probe interval.
	MaxKeepAlive = 2 * time.Hour
	// MaxKeepAliveCount bounds the TCP keepalive probe count (TCP_KEEPCNT).
	MaxKeepAliveCount = 127
)
