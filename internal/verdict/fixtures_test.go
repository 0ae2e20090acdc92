package verdict

// Recorded evidence for the classic experiments. The numbers are what the
// instrumented runner and the kernel polls report for each setup (shapes
// taken from the seed articles' runs and the physics in docs/ARCHITECTURE.md).

func keepAliveDefault() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 1020,
		Requests: Requests{
			Total: 100, Reused: 99, WasIdle: 99,
			ServerSaw: map[string]int{"": 100}, Protos: map[string]int{"HTTP/1.1": 100},
			Framing: map[string]int{"content-length": 100}, Status: map[string]int{"200": 100},
			PeakInFlight: 1,
		},
		Connections: Connections{
			Accepted: 1, Dialed: 1, ClosedFirstClient: 1, MaxRequestsPerConn: 100, PeakOpen: 1,
			MedianLifetimeMs: 3020,
		},
		Kernel: Kernel{
			Polls: 12, Source: "netlink", TimeWaitPeakClient: 1, TimeWaitEndClient: 1, DrainedMs: -1,
			EstablishedPeakServer: 1, EstablishedPeakClient: 1, KeepaliveTimers: 2,
		},
		Latency: Latency{P50Ms: 0.21, P99Ms: 0.9, RequestsPerSec: 98},
	}
}

func clientDisableKeepAlives() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 19040,
		Requests: Requests{
			Total: 20, ServerSaw: map[string]int{"close": 20}, Protos: map[string]int{"HTTP/1.1": 20},
			RespClose: 20, Framing: map[string]int{"content-length": 20}, Status: map[string]int{"200": 20},
			PeakInFlight: 1,
		},
		Connections: Connections{
			Accepted: 20, Dialed: 20, ClosedFirstServer: 20, MaxRequestsPerConn: 1, PeakOpen: 1,
			MedianLifetimeMs: 0.4,
		},
		Kernel: Kernel{
			Polls: 340, Source: "netlink", TimeWaitPeakServer: 20, DrainedMs: 61200,
			EstablishedPeakServer: 1, EstablishedPeakClient: 1,
		},
		Latency: Latency{P50Ms: 0.35, P99Ms: 1.4, RequestsPerSec: 1.05},
	}
}

func serverKeepAliveOff() Evidence {
	ev := clientDisableKeepAlives()
	ev.Requests.ServerSaw = map[string]int{"": 20}
	return ev
}

func bodyNotRead() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 2100,
		Requests: Requests{
			Total: 20, BodyUnread: 20, ServerSaw: map[string]int{"": 20}, Protos: map[string]int{"HTTP/1.1": 20},
			Framing: map[string]int{"content-length": 20}, Status: map[string]int{"200": 20},
		},
		Connections: Connections{
			Accepted: 20, Dialed: 20, ClosedFirstClient: 20, Reset: 20, MaxRequestsPerConn: 1, PeakOpen: 1,
		},
		Kernel:  Kernel{Polls: 30, Source: "netlink", DrainedMs: 0, EstablishedPeakServer: 1},
		Latency: Latency{P50Ms: 2.5, P99Ms: 6, RequestsPerSec: 9.5},
	}
}

func idleTimeoutRaceGET() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 10050,
		Requests: Requests{
			Total: 10, Reused: 5, WasIdle: 9, Retried: 4,
			ServerSaw: map[string]int{"": 10}, Protos: map[string]int{"HTTP/1.1": 10},
			Framing: map[string]int{"content-length": 10}, Status: map[string]int{"200": 10},
		},
		Connections: Connections{
			Accepted: 14, Dialed: 14, ClosedFirstServer: 13, ClosedFirstClient: 1, ServerIdleClosed: 13,
			MaxRequestsPerConn: 2, PeakOpen: 2,
		},
		Kernel: Kernel{
			Polls: 300, Source: "netlink", TimeWaitPeakServer: 13, TimeWaitPeakClient: 1,
			TimeWaitEndServer: 2, TimeWaitEndClient: 1, DrainedMs: -1,
		},
		Latency: Latency{P50Ms: 0.4, P99Ms: 1.2, RequestsPerSec: 1},
	}
}

func idleTimeoutRacePOST() Evidence {
	ev := idleTimeoutRaceGET()
	ev.Requests.Retried = 0
	ev.Requests.Errors = 4
	ev.Requests.ErrorSamples = map[string]int{
		`Post "http://127.0.0.1/": EOF`:                                3,
		`Post "http://127.0.0.1/": read tcp: connection reset by peer`: 1,
	}
	ev.Requests.Status = map[string]int{"200": 6}
	ev.Connections.Accepted, ev.Connections.Dialed = 10, 10
	return ev
}

func poolChurn() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 2000,
		Requests: Requests{
			Total: 1000, Reused: 600, WasIdle: 600,
			ServerSaw: map[string]int{"": 1000}, Protos: map[string]int{"HTTP/1.1": 1000},
			Framing: map[string]int{"content-length": 1000}, Status: map[string]int{"200": 1000},
			PeakInFlight: 50,
		},
		Connections: Connections{
			Accepted: 400, Dialed: 400, ClosedFirstClient: 398, Open: 2, MaxRequestsPerConn: 40, PeakOpen: 50,
		},
		Kernel: Kernel{
			Polls: 30, Source: "netlink", TimeWaitPeakClient: 398, TimeWaitEndClient: 398, DrainedMs: -1,
			EstablishedPeakServer: 50, EstablishedPeakClient: 50, KeepaliveTimers: 50,
		},
		Latency: Latency{P50Ms: 4.2, P99Ms: 18, RequestsPerSec: 500},
	}
}

func poolSized() Evidence {
	ev := poolChurn()
	ev.Requests.Reused, ev.Requests.WasIdle = 950, 950
	ev.Connections = Connections{
		Accepted: 50, Dialed: 50, ClosedFirstServer: 50, ServerIdleClosed: 50, MaxRequestsPerConn: 25, PeakOpen: 50,
	}
	ev.Kernel.TimeWaitPeakClient, ev.Kernel.TimeWaitEndClient = 0, 0
	ev.Kernel.TimeWaitPeakServer, ev.Kernel.TimeWaitEndServer = 50, 50
	return ev
}

func h2c() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 400,
		Requests: Requests{
			Total: 100, Reused: 99, ServerSaw: map[string]int{"": 100}, Protos: map[string]int{"HTTP/2.0": 100},
			Framing: map[string]int{"content-length": 100}, Status: map[string]int{"200": 100}, PeakInFlight: 10,
		},
		Connections: Connections{Accepted: 1, Dialed: 1, Open: 1, MaxRequestsPerConn: 100, PeakOpen: 1},
		Kernel:      Kernel{Polls: 8, Source: "netlink", DrainedMs: 0, EstablishedPeakServer: 1, KeepaliveTimers: 2},
		Latency:     Latency{P50Ms: 1.1, P99Ms: 3.2, RequestsPerSec: 250},
	}
}

func http10() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 300,
		Requests: Requests{
			Total: 20, ServerSaw: map[string]int{"": 20}, Protos: map[string]int{"HTTP/1.0": 20},
			RespClose: 20, Framing: map[string]int{"eof": 20}, Status: map[string]int{"200": 20},
		},
		Connections: Connections{Accepted: 20, Dialed: 20, ClosedFirstServer: 20, MaxRequestsPerConn: 1, PeakOpen: 1},
		Kernel:      Kernel{Polls: 10, Source: "netlink", TimeWaitPeakServer: 20, TimeWaitEndServer: 20, DrainedMs: -1},
		Latency:     Latency{P50Ms: 0.3, P99Ms: 0.8, RequestsPerSec: 66},
	}
}

func http10KeepAlive() Evidence {
	ev := http10()
	ev.Requests.ServerSaw = map[string]int{"keep-alive": 20}
	ev.Requests.RespClose = 0
	ev.Requests.Framing = map[string]int{"content-length": 20}
	ev.Connections = Connections{Accepted: 1, Dialed: 1, ClosedFirstClient: 1, MaxRequestsPerConn: 20, PeakOpen: 1}
	ev.Kernel.TimeWaitPeakServer, ev.Kernel.TimeWaitEndServer = 0, 0
	ev.Kernel.TimeWaitPeakClient, ev.Kernel.TimeWaitEndClient = 1, 1
	return ev
}

func noKernel() Evidence {
	ev := clientDisableKeepAlives()
	ev.Kernel = Kernel{DrainedMs: -1}
	return ev
}

func stopped() Evidence {
	ev := keepAliveDefault()
	ev.Completed = false
	ev.DurationMs = 350
	ev.Requests.Total, ev.Requests.Reused, ev.Requests.WasIdle = 35, 34, 34
	ev.Requests.ServerSaw = map[string]int{"": 35}
	ev.Requests.Protos = map[string]int{"HTTP/1.1": 35}
	ev.Requests.Framing = map[string]int{"content-length": 35}
	ev.Requests.Status = map[string]int{"200": 35}
	ev.Connections.ClosedFirstClient, ev.Connections.Open = 0, 1
	ev.Kernel.TimeWaitPeakClient, ev.Kernel.TimeWaitEndClient, ev.Kernel.Polls = 0, 0, 2
	return ev
}

func failed() Evidence {
	ev := stopped()
	ev.Failure = "listen tcp 127.0.0.1:0: socket: too many open files"
	return ev
}

func singleRequest() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 2,
		Requests: Requests{
			Total: 1, ServerSaw: map[string]int{"close": 1}, Protos: map[string]int{"HTTP/1.1": 1},
			RespClose: 1, Framing: map[string]int{"content-length": 1}, Status: map[string]int{"200": 1},
		},
		Connections: Connections{Accepted: 1, Dialed: 1, ClosedFirstServer: 1, MaxRequestsPerConn: 1, PeakOpen: 1},
		Kernel:      Kernel{Polls: 1, Source: "netlink", TimeWaitPeakServer: 1, TimeWaitEndServer: 1, DrainedMs: -1, KeepaliveTimers: 1},
		Latency:     Latency{P50Ms: 0.5, P99Ms: 0.5, RequestsPerSec: 500},
	}
}

// clientIdleTimeout: the client's IdleConnTimeout is shorter than the gap
// between requests, so the client drops each idle connection first.
func clientIdleTimeout() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 10000,
		Requests: Requests{
			Total: 10, ServerSaw: map[string]int{"": 10}, Protos: map[string]int{"HTTP/1.1": 10},
			Framing: map[string]int{"content-length": 10}, Status: map[string]int{"200": 10},
		},
		Connections: Connections{Accepted: 10, Dialed: 10, ClosedFirstClient: 10, MaxRequestsPerConn: 1, PeakOpen: 1},
		Kernel:      Kernel{Polls: 40, Source: "netlink", TimeWaitPeakClient: 10, TimeWaitEndClient: 10, DrainedMs: -1},
		Latency:     Latency{P50Ms: 0.4, P99Ms: 0.6, RequestsPerSec: 1},
	}
}

// serverRestart: the server went away while the client held idle connections.
func serverRestart() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 3000,
		Requests: Requests{
			Total: 30, Errors: 12, Reused: 10, WasIdle: 10,
			ErrorSamples: map[string]int{
				`Get "http://127.0.0.1/": dial tcp 127.0.0.1: connect: connection refused`: 10,
				`Get "http://127.0.0.1/": EOF`:                                             1,
				`Get "http://127.0.0.1/": read: broken`:                                    1,
				`Get "http://127.0.0.1/": timeout`:                                         0, // zero counts are ignored
				`Get "http://127.0.0.1/": deadline`:                                        1,
			},
			ServerSaw: map[string]int{"": 18}, Protos: map[string]int{"HTTP/1.1": 18},
			Framing: map[string]int{"content-length": 18}, Status: map[string]int{"200": 16, "503": 2},
		},
		Connections: Connections{
			Accepted: 4, Dialed: 14, ClosedFirstServer: 2, ClosedFirstClient: 1, ClosedFirstSimultaneous: 1,
			ServerIdleClosed: 2, MaxRequestsPerConn: 8, PeakOpen: 2,
		},
		Kernel:  Kernel{Polls: 12, Source: "gopsutil", TimeWaitPeakServer: 3, TimeWaitPeakClient: 2, DrainedMs: -1},
		Latency: Latency{P50Ms: 0.3, P99Ms: 250, RequestsPerSec: 10},
	}
}

// h2cColdStart: the Transport dialled a second connection that never carried
// a request, and the workload was sequential (no multiplexing to prove).
func h2cColdStart() Evidence {
	ev := h2c()
	ev.Requests.PeakInFlight = 1
	ev.Connections.Accepted, ev.Connections.Dialed, ev.Connections.Unused, ev.Connections.Open = 2, 2, 1, 2
	return ev
}

// statusOnly: the server answered, but with errors.
func statusOnly() Evidence {
	ev := keepAliveDefault()
	ev.Requests.Status = map[string]int{"200": 90, "500": 10}
	return ev
}

// bodyNotClosed: the client neither reads nor closes bodies; the server's
// IdleTimeout gives up on the pinned connections, which sit in CLOSE_WAIT on
// the client (the server's side waits in FIN_WAIT2, not TIME_WAIT).
func bodyNotClosed() Evidence {
	return Evidence{
		Go: "go1.26.8", Completed: true, DurationMs: 2000,
		Requests: Requests{
			Total: 20, ServerSaw: map[string]int{"": 20}, Protos: map[string]int{"HTTP/1.1": 20},
			Framing: map[string]int{"content-length": 20}, Status: map[string]int{"200": 20}, PeakInFlight: 1,
		},
		Connections: Connections{
			Accepted: 20, Dialed: 20, ClosedFirstServer: 12, Open: 8, ServerIdleClosed: 12,
			MaxRequestsPerConn: 1, PeakOpen: 10, LeftInCloseWaitClient: 12,
		},
		Kernel: Kernel{
			Polls: 16, Source: "netlink", DrainedMs: 0, CloseWaitPeakClient: 12,
			EstablishedPeakServer: 10, EstablishedPeakClient: 20,
		},
		Latency: Latency{P50Ms: 0.5, P99Ms: 1, RequestsPerSec: 10},
	}
}
