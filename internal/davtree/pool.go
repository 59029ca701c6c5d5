package davtree

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"almanac/internal/dav"
)

// ReportPool bounds the expensive REPORTs the server runs at once: the
// kinds' own reports (calendar-query, free-busy-query,
// addressbook-query), whose cost grows with the collections they search
// rather than with the request. At most Slots run; up to Queue more wait,
// each at most Wait, for a slot; a request that finds the queue full, or
// waits longer, is answered 503 with Retry-After. So however many
// clients send queries, the server spends at most Slots cores on them and
// GET, PUT, PROPFIND, multiget and sync keep their latency (doc.go,
// "Expensive REPORTs").
type ReportPool struct {
	slots, queue chan struct{}
	wait         time.Duration
	observe      func(outcome string)
}

// ReportPoolOptions configures NewReportPool; zero fields take the
// defaults.
type ReportPoolOptions struct {
	Slots int           // running at once; 0: 4
	Queue int           // waiting at most; 0: 64
	Wait  time.Duration // longest wait in the queue; 0: 10 s
	// Observe, when set, is told how each request fared: "run" (a
	// slot at once), "queued" (no slot free: it waits, and runs unless
	// it then times out), "full" (the queue was full: 503), "timeout"
	// (a queued one that waited Wait in vain: 503).
	Observe func(outcome string)
}

// Defaults of ReportPoolOptions. Four slots keep two cores busy while
// some requests stream their answers to slow clients; 64 waiting at
// 10 s each is what a few busy clients send in a burst.
const (
	DefaultReportSlots = 4
	DefaultReportQueue = 64
	DefaultReportWait  = 10 * time.Second
)

// NewReportPool returns a pool; one is shared by every tree of a server.
func NewReportPool(opts ReportPoolOptions) *ReportPool {
	if opts.Slots <= 0 {
		opts.Slots = DefaultReportSlots
	}
	if opts.Queue <= 0 {
		opts.Queue = DefaultReportQueue
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultReportWait
	}
	return &ReportPool{slots: make(chan struct{}, opts.Slots), queue: make(chan struct{}, opts.Queue),
		wait: opts.Wait, observe: opts.Observe}
}

// acquire takes a slot, waiting in the queue if need be; release gives
// it back. A nil pool runs everything at once.
func (p *ReportPool) acquire(ctx context.Context) (release func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	select {
	case p.slots <- struct{}{}:
		p.note("run")
		return p.release, nil
	default:
	}
	select {
	case p.queue <- struct{}{}:
	default:
		p.note("full")
		return nil, p.busy("too many queries are waiting")
	}
	defer func() { <-p.queue }()
	p.note("queued")
	timer := time.NewTimer(p.wait)
	defer timer.Stop()
	select {
	case p.slots <- struct{}{}:
		return p.release, nil
	case <-timer.C:
		p.note("timeout")
		return nil, p.busy("no query slot came free in time")
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

func (p *ReportPool) release() { <-p.slots }

func (p *ReportPool) note(outcome string) {
	if p.observe != nil {
		p.observe(outcome)
	}
}

// busy is the 503 of a full pool; a client retries after the longest
// wait, by when the queue has moved on.
func (p *ReportPool) busy(msg string) error {
	secs := int((p.wait + time.Second - 1) / time.Second)
	return &dav.Error{Status: http.StatusServiceUnavailable, Message: "server busy: " + msg + "; retry later",
		Headers: map[string]string{"Retry-After": strconv.Itoa(secs)}}
}
