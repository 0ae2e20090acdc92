package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// bench runs the measured runs of the rounds.
type bench struct {
	l     *rig
	plain *plainServer // nil without the reference column
	hey   string       // hey binary
	o     options
	log   io.Writer // progress lines
}

// round runs each tool once for mode m, in an order rotated by round.
func (b *bench) round(ctx context.Context, m *modeResult, round int) error {
	steps := []func(context.Context, *modeResult, int) error{b.connlab, b.heyInstrumented}
	if b.plain != nil {
		steps = append(steps, b.heyPlain)
	}
	for i := range steps {
		if err := steps[(i+round)%len(steps)](ctx, m, round+1); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// connlab runs one experiment with full instrumentation.
func (b *bench) connlab(ctx context.Context, m *modeResult, round int) error {
	spec, err := workloadSpec(m.n, b.o.c, m.keepAlive)
	if err != nil {
		return err
	}
	s, err := b.l.runWorkload(ctx, spec)
	if err != nil {
		return err
	}
	m.connlab = append(m.connlab, s.rps)
	cores := 0.0
	if s.cpu > 0 && s.requests > 0 {
		cores = s.cpu.Seconds() / s.wall.Seconds()
		m.cpuConnlab = append(m.cpuConnlab, usPer(s.cpu, s.requests))
		m.coresConnlab = append(m.coresConnlab, cores)
	}
	m.errConnlab += s.errors
	m.connsConnl = s.conns
	fmt.Fprintf(b.log, "round %d keep-alive %-3s connlab:             %9s req/s  %.2f cores  (%d requests, %d errors, %d connections)\n",
		round, onOff(m.keepAlive), thousands(s.rps), cores, s.requests, s.errors, s.conns)
	return nil
}

// heyInstrumented runs hey against a parked experiment's server.
func (b *bench) heyInstrumented(ctx context.Context, m *modeResult, round int) error {
	spec, err := parkedSpec(b.o.c, m.keepAlive)
	if err != nil {
		return err
	}
	p, err := b.l.park(ctx, spec)
	if err != nil {
		return err
	}
	t0 := time.Now()
	cpu0, cpuOK := processCPU()
	h, herr := runHey(ctx, b.hey, p.url, m.n, b.o.c, m.keepAlive)
	cpu1, _ := processCPU()
	wall := time.Since(t0)
	served, conns, perr := p.end(context.WithoutCancel(ctx))
	if err := errors.Join(herr, perr); err != nil {
		return err
	}
	m.hey = append(m.hey, h.rps)
	cores := 0.0
	if cpuOK && h.responses > 0 {
		total := h.cpu + cpu1 - cpu0 // hey's process + ours (server, monitor)
		cores = total.Seconds() / wall.Seconds()
		m.cpuHey = append(m.cpuHey, usPer(total, h.responses))
		m.cpuHeyOwn = append(m.cpuHeyOwn, usPer(h.cpu, h.responses))
		m.coresHey = append(m.coresHey, cores)
	}
	m.errHey += h.errors
	m.connsHey = conns
	// The parked client sent one request of its own (or none, if stopped
	// first).
	if miss := h.responses - (served - 1); miss > 0 {
		m.heyMissing += miss
	}
	fmt.Fprintf(b.log, "round %d keep-alive %-3s hey (instrumented):  %9s req/s  %.2f cores  (%d responses, %d errors; the server counted %d requests on %d connections)\n",
		round, onOff(m.keepAlive), thousands(h.rps), cores, h.responses, h.errors, served, conns)
	return nil
}

// heyPlain runs hey against the plain reference server.
func (b *bench) heyPlain(ctx context.Context, m *modeResult, round int) error {
	h, err := runHey(ctx, b.hey, b.plain.url, m.n, b.o.c, m.keepAlive)
	if err != nil {
		return err
	}
	m.plain = append(m.plain, h.rps)
	fmt.Fprintf(b.log, "round %d keep-alive %-3s hey (plain server): %9s req/s  (%d responses, %d errors)\n",
		round, onOff(m.keepAlive), thousands(h.rps), h.responses, h.errors)
	return nil
}
