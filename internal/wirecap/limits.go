package wirecap

import "time"

// Timings and limits of the capture and the derivation.
const (
	// maxPorts bounds Options.Ports: the filter compares each port twice
	// with 8-bit jump offsets, and a test watches one or a few ports.
	maxPorts = 16
	// defaultRing is the receive ring's size. Traffic fills it by bytes
	// or, when sparse, by blocks handed over part-full every ringRetire:
	// 128 blocks of 10 ms keep a reader starved for a second (a loaded
	// 2-core machine under -race) from losing packets.
	defaultRing = 32 << 20
	// ringBlock is one block of the ring: the kernel hands us whole
	// blocks. It must hold the largest packet kept (fullSnap).
	ringBlock = 256 << 10
	// ringFrame is the frame size TPACKET_V3 wants declared (packets are
	// packed in a block whatever their size).
	ringFrame = 2048
	// ringRetire: a block not yet full is handed to us at the latest two
	// of these after its first packet (the kernel's retire timer).
	ringRetire = 10 * time.Millisecond
	// fullSnap is what the filter keeps of a client-to-server segment: a
	// loopback GSO segment is at most 64 KiB (lo's gso_max_size) plus
	// headers; a larger one (BIG TCP configured on lo) is cut and its
	// connection's count marked unsure.
	fullSnap = 128 << 10
	// headerSnap is what the filter keeps of a server-to-client segment:
	// the largest IPv4 header (60) plus the largest TCP header (60). Their
	// payload is never parsed, and not copying it keeps the ring free.
	headerSnap = 128
	// pollTick is how long the reader blocks before it looks at Stop and
	// the context again.
	pollTick = 50 * time.Millisecond
	// drainQuiet: after Stop is called the reader keeps reading until no
	// packet arrived for this long. A segment sent before Stop sits at most
	// in a CPU's receive backlog, which the kernel processes in
	// microseconds, then in a ring block handed over within 2*ringRetire;
	// the window leaves room for a descheduled softirq or timer on a
	// loaded machine.
	drainQuiet = 100 * time.Millisecond
	// drainMax bounds the drain when the port never goes quiet.
	drainMax = 2 * time.Second
	// maxConns bounds the connections tracked per capture; later ones are
	// only counted (Result.Untracked).
	maxConns = 1 << 18
	// maxLine bounds an HTTP/1.x request line or header line kept while it
	// is parsed; a longer one makes the connection's count unsure.
	maxLine = 16 << 10
	// maxPending bounds the out-of-order client bytes held per connection
	// until the gap before them is filled.
	maxPending = 1 << 20
)
