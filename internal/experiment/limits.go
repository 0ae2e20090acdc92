package experiment

import "time"

// Limits of a Spec, and the timings and sizes of the runner. Limits are
// exported so the UI and the CLI can quote them.
const (
	// MaxDuration bounds a workload's duration, and caps a run that is
	// neither request- nor duration-bound (until stopped).
	MaxDuration = 10 * time.Minute
	// MaxObserve bounds the observe tail (the UI asks 65 s to see TIME_WAIT drain).
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
	// MaxRunning is how many experiments may run at once.
	MaxRunning = 4
)

const (
	// batchInterval is how often an experiment publishes an update.
	batchInterval = 250 * time.Millisecond
	// keepFinished is how many ended experiments the Manager remembers.
	keepFinished = 32
	// DefaultFinishedBytes bounds the memory of the ended experiments the
	// Manager remembers, all together (the oldest are forgotten first).
	DefaultFinishedBytes = 64 << 20
	// finishedLanes and finishedLog bound the lanes and request-log lines
	// an ended experiment keeps (its totals still count every one).
	finishedLanes = 500
	finishedLog   = 1000
	// laneDetail is how many connections are kept in detail (lanes);
	// older ones only count in the aggregates.
	laneDetail = 2000
	// logDetail is how many request-log lines are kept.
	logDetail = 5000
	// workerLogCap bounds a worker's unpublished log lines between batches
	// (the most recent are kept).
	workerLogCap = 256
	// timelineRows is how many kernel polls the result keeps (20 min at 4/s).
	timelineRows = 4800
	// maxErrorSamples is how many distinct error messages are counted
	// separately; the rest count under "other errors".
	maxErrorSamples = 20
	// restartDowntime is how long the server stays away in a restart.
	restartDowntime = 300 * time.Millisecond
	// relistenTimeout bounds the retries to listen again on the same port.
	relistenTimeout = 5 * time.Second
	// lastPollWait bounds the wait for a kernel poll after the workload
	// and observe phases (a poll every 250 ms by default).
	lastPollWait = 5 * time.Second
	// teardownWait bounds the wait for every connection to be closed and its
	// goroutines to be gone at the end of an experiment.
	teardownWait = 5 * time.Second
	// postBodyBytes is the size of a POST request's body.
	postBodyBytes = 64
	// partialReadBytes is how much of a body "partial-close" reads.
	partialReadBytes = 512
	// maxLeaked bounds the connections the raw client leaves open in
	// "read-no-close" mode (the oldest is closed past it).
	maxLeaked = 256
	// simultaneousWindow: on systems without TCP_INFO, two Close calls this
	// close together count as simultaneous.
	simultaneousWindow = 50 * time.Microsecond
)
