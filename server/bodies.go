package server

import (
	"io"
	"net/http"
	"sync"
	"time"

	"almanac/internal/api"
)

// BodyLimits bound what a request body may cost before and after its
// sender has proved who it is. Without them a client that sends one byte
// every few seconds holds a connection, a goroutine and a file descriptor
// for as long as it likes, and nothing stops a stranger from doing that
// five hundred times.
type BodyLimits struct {
	// Anonymous is how long a request may take to send its body before it
	// is authenticated, and Unauthenticated how many bytes of it may be
	// read then. Handlers that need no login (session login, recovery)
	// read small JSON bodies only. Defaults 10 s and api.MaxBody.
	Anonymous       time.Duration
	Unauthenticated int64
	// Base and MinRate set the budget once the request is authenticated:
	// Base plus the body's size (its Content-Length, or the most the
	// endpoint accepts) at MinRate bytes per second. Defaults 30 s and
	// 16 KiB/s: a 10 MiB upload may take ten minutes, a 1 KiB PUT 30 s.
	Base    time.Duration
	MinRate int64
}

func (l BodyLimits) withDefaults() BodyLimits {
	if l.Anonymous <= 0 {
		l.Anonymous = 10 * time.Second
	}
	if l.Unauthenticated <= 0 {
		l.Unauthenticated = api.MaxBody
	}
	if l.Base <= 0 {
		l.Base = 30 * time.Second
	}
	if l.MinRate <= 0 {
		l.MinRate = 16 << 10
	}
	return l
}

// limitBodies gives every request with a body the anonymous budget: a
// read deadline and a byte cap. The deadline is lifted when the body has
// been read to its end, so that it does not cut a long-running answer
// (net/http cancels the request's context when a read deadline passes
// while it watches the connection).
func (l BodyLimits) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// Where the connection cannot take deadlines (a test recorder),
		// the byte cap still holds.
		_ = rc.SetReadDeadline(time.Now().Add(l.Anonymous))
		b := &boundedBody{body: r.Body, rc: rc, limit: l.Unauthenticated + 1}
		r.Body = b
		next.ServeHTTP(w, r)
	})
}

// allow raises the budget of an authenticated request whose endpoint
// accepts bodies of up to max bytes.
func (l BodyLimits) allow(max int64) func(http.Handler) http.Handler {
	return l.allowFor(func(*http.Request) int64 { return max })
}

// allowFor is allow with the cap chosen per request, such as the API
// router's per-route api.BodyLimit.
func (l BodyLimits) allowFor(limit func(*http.Request) int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if b, ok := r.Body.(*boundedBody); ok {
				max := limit(r)
				size := max
				if r.ContentLength > 0 && r.ContentLength < max {
					size = r.ContentLength
				}
				b.raise(max, time.Now().Add(l.Base+time.Duration(size/l.MinRate)*time.Second))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// raise lifts the cap of r's body to max bytes as allow does, for a
// handler that authenticated the request itself (the web pages' file
// uploads, once the session is checked).
func (l BodyLimits) raise(r *http.Request, max int64) {
	if b, ok := r.Body.(*boundedBody); ok {
		size := max
		if r.ContentLength > 0 && r.ContentLength < max {
			size = r.ContentLength
		}
		b.raise(max, time.Now().Add(l.Base+time.Duration(size/l.MinRate)*time.Second))
	}
}

// boundedBody is a request body with a byte cap and a read deadline that
// is lifted at its end.
type boundedBody struct {
	body io.ReadCloser
	rc   *http.ResponseController

	mu    sync.Mutex
	read  int64
	limit int64 // bytes readers may see; one more fails
	done  bool
}

func (b *boundedBody) raise(limit int64, deadline time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// Handlers read up to their limit plus one byte to tell "too large"
	// from "exactly the limit".
	b.limit = limit + 1
	if !b.done {
		_ = b.rc.SetReadDeadline(deadline)
	}
}

func (b *boundedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	left := b.limit - b.read
	b.mu.Unlock()
	if left <= 0 {
		// What http.MaxBytesReader returns, so handlers answer 413.
		return 0, &http.MaxBytesError{Limit: b.limit - 1}
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := b.body.Read(p)
	b.mu.Lock()
	b.read += int64(n)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	b.mu.Unlock()
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }
