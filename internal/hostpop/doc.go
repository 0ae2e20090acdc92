// Package hostpop gives a benchmark a host holding many TCP sockets: child
// processes (the calling program re-executed) each hold ESTABLISHED
// loopback pairs, so the file limit of one process does not cap the
// population. Holders abort (RST) their connections when stopped, leaving
// no TIME_WAIT behind.
//
// A program that grows a population calls [IfHolder] first thing in main
// (and in TestMain, since there the holders are the test binary):
//
//	func main() {
//		hostpop.IfHolder()
//		...
//		pop := hostpop.New(log)
//		defer pop.Close()
//		err := pop.Grow(ctx, 10_000) // about 10k TCP sockets on the host
//
// Linux only (it counts sockets from /proc/net/sockstat); the code was
// taken from internal/sockstat/pollbench's population.go.
package hostpop
