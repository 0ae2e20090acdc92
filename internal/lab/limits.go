package lab

import "time"

// Limits, timings and sizes of the runner.
const (
	// MaxRunning is how many experiments may run at once.
	MaxRunning = 4
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
	// timelineRows is how many kernel polls the result keeps (20 min at 4/s).
	timelineRows = 4800
	// observeCheck is how often the observe phase checks whether the run
	// has drained; observeQuiet is how long nothing must happen (no
	// connection opened or closed) before it ends early.
	observeCheck = 100 * time.Millisecond
	observeQuiet = 2 * time.Second
	// lastPollWait bounds the wait for a kernel poll after the workload
	// and observe phases (a poll every 250 ms by default).
	lastPollWait = 5 * time.Second
	// teardownWait bounds the wait for every connection to be closed and its
	// goroutines to be gone at the end of an experiment.
	teardownWait = 5 * time.Second
	// teardownPoll is the step of the teardown's waits.
	teardownPoll = time.Millisecond
)
