package mailbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"almanac/storage"
)

// ExporterOptions configures an Exporter. Zero durations take defaults.
type ExporterOptions struct {
	// PasswdFile and VirtualMap are the Dovecot passwd-file and the
	// Postfix virtual table kept up to date; "" skips one.
	PasswdFile, VirtualMap string
	// SieveDir receives each mailbox's Sieve script,
	// DIR/<domain>/<local-part>.sieve (WriteSieveScripts); "" none.
	// Dovecot reads a script again when its file changes, so writing
	// one needs no ReloadCmd.
	SieveDir string
	// ReplySeconds, when not 0, makes the scripts answer a sender again
	// after that many seconds instead of ReplyDays days (RFC 6131): for
	// tests that cannot wait a week.
	ReplySeconds int
	// ReloadCmd, if set, is run with /bin/sh -c after the files changed
	// (and once at the first export of the process), with
	// ALMANAC_DOVECOT_PASSWD and ALMANAC_POSTFIX_VIRTUAL set to the
	// files; e.g. `postmap "$ALMANAC_POSTFIX_VIRTUAL" && doveadm reload`.
	// Its output is logged; exiting non-zero fails the export.
	ReloadCmd string
	// ReloadTimeout bounds one run of ReloadCmd (default 1 minute).
	ReloadTimeout time.Duration
	// Debounce is how long the exporter waits after a change before it
	// writes, so that a burst of changes is one write (default 1 s).
	Debounce time.Duration
	// MinRetry and MaxRetry bound the wait before a failed export is
	// tried again: MinRetry, doubling up to MaxRetry (defaults 2 s and
	// 5 minutes).
	MinRetry, MaxRetry time.Duration
	Logger             *slog.Logger
	// Observer, if set, is told the outcome of every export attempt,
	// after Status reflects it.
	Observer Observer
	// After is the timer (tests); default time.After.
	After func(time.Duration) <-chan time.Time
	// Signals, when set, marks the files stale whenever a server on the
	// store signals ExportTopic (API Options.Signals): a change made
	// through another server.
	Signals storage.Signals
}

// ExportTopic is the storage.Signals topic of changes to what the mail
// server files show.
const ExportTopic = "mail-files"

// Default timings of an Exporter.
const (
	DefaultDebounce      = time.Second
	DefaultMinRetry      = 2 * time.Second
	DefaultMaxRetry      = 5 * time.Minute
	DefaultReloadTimeout = time.Minute
	// finalFlush bounds the last write when the server stops.
	finalFlush = 30 * time.Second
	// maxReloadOutput is how much of the reload command's output is
	// logged.
	maxReloadOutput = 4 << 10
)

// Exporter keeps the mail server files in step with the store, away from
// the requests that change it: Changed marks the files stale and returns
// at once; Run writes them shortly after, retrying with backoff until a
// write succeeds. Each write renders the store as it is then, so it
// covers every change marked before it, in the store's order. It is safe
// for concurrent use.
type Exporter struct {
	store ExportStore
	opts  ExporterOptions
	log   *slog.Logger
	kick  chan struct{}
	// run serialises exports.
	run sync.Mutex
	// reloadOwed: files were written (or the process started) and
	// ReloadCmd has not yet succeeded since. Guarded by run.
	reloadOwed bool

	mu        sync.Mutex
	pending   bool
	failures  int
	lastErr   error
	failSince time.Time
	lastWrite time.Time
}

// NewExporter returns an exporter of store's mailboxes, aliases and
// responders.
func NewExporter(store ExportStore, opts ExporterOptions) *Exporter {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MinRetry <= 0 {
		opts.MinRetry = DefaultMinRetry
	}
	if opts.MaxRetry < opts.MinRetry {
		opts.MaxRetry = max(DefaultMaxRetry, opts.MinRetry)
	}
	if opts.ReloadTimeout <= 0 {
		opts.ReloadTimeout = DefaultReloadTimeout
	}
	if opts.After == nil {
		opts.After = time.After
	}
	return &Exporter{store: store, opts: opts, log: opts.Logger, kick: make(chan struct{}, 1), reloadOwed: true}
}

// Changed marks the files stale after a change to the store. It never
// blocks: the write happens in Run (or Flush).
func (e *Exporter) Changed() {
	e.mu.Lock()
	e.pending = true
	e.mu.Unlock()
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

// Run writes the files until ctx is done: at once at start, catching up
// on what changed while the server was down, then Debounce after each
// change; a failed write is retried after MinRetry, doubling up to
// MaxRetry. When ctx is done, what is still stale is written once more.
func (e *Exporter) Run(ctx context.Context) {
	defer func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlush)
		defer cancel()
		e.Flush(fctx)
	}()
	e.mu.Lock()
	e.pending = true
	e.mu.Unlock()
	if e.opts.Signals != nil {
		listening := make(chan struct{})
		defer func() { <-listening }()
		go func() {
			defer close(listening)
			e.opts.Signals.Listen(ctx, ExportTopic, e.Changed)
		}()
	}
	for e.flushRetrying(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		}
		if !e.sleep(ctx, e.opts.Debounce) {
			return
		}
	}
}

// flushRetrying flushes until a write succeeds; false when ctx ends
// first.
func (e *Exporter) flushRetrying(ctx context.Context) bool {
	for attempt := 0; e.Flush(ctx) != nil; attempt++ {
		if !e.sleep(ctx, e.retryDelay(attempt)) {
			return false
		}
	}
	return true
}

func (e *Exporter) sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-e.opts.After(d):
		return true
	}
}

// retryDelay is the wait after failed attempt n (from 0).
func (e *Exporter) retryDelay(n int) time.Duration {
	d := e.opts.MinRetry
	for ; n > 0 && d < e.opts.MaxRetry; n-- {
		d *= 2
	}
	return min(d, e.opts.MaxRetry)
}

// Flush writes the files now if a change is not written yet or the last
// attempt failed, and returns that attempt's error.
func (e *Exporter) Flush(ctx context.Context) error {
	e.run.Lock()
	defer e.run.Unlock()
	e.mu.Lock()
	if !e.pending && e.failures == 0 {
		e.mu.Unlock()
		return nil
	}
	// A change marked from here on is after the read below: it stays
	// pending for the next write.
	e.pending = false
	e.mu.Unlock()

	err := e.export(ctx)
	e.settle(ctx, err)
	if e.opts.Observer != nil {
		e.opts.Observer.Exported(err)
	}
	return err
}

// settle records the outcome of an attempt.
func (e *Exporter) settle(ctx context.Context, err error) {
	now := time.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.pending = true
		if e.failures == 0 {
			e.failSince = now
		}
		e.failures++
		e.lastErr = err
		e.log.ErrorContext(ctx, "mailbox: cannot write the mail server files; retrying", "err", err,
			"failures", e.failures, "retry_in", e.retryDelay(e.failures-1))
		return
	}
	if e.failures > 0 {
		e.log.InfoContext(ctx, "mailbox: the mail server files are up to date again", "after_failures", e.failures)
	}
	e.failures, e.lastErr, e.lastWrite = 0, nil, now
}

// export writes what changed and runs ReloadCmd when a file was written
// or a previous run of it did not succeed. Called with run held.
func (e *Exporter) export(ctx context.Context) error {
	changed, err := export(ctx, e.store, e.opts.PasswdFile, e.opts.VirtualMap, true)
	if err != nil {
		return err
	}
	if changed {
		e.reloadOwed = true
	}
	if e.opts.SieveDir != "" {
		if err := WriteSieveScripts(ctx, e.store, e.opts.SieveDir, e.opts.ReplySeconds); err != nil {
			return err
		}
	}
	if e.opts.ReloadCmd != "" && e.reloadOwed {
		if err := e.reload(ctx); err != nil {
			return err
		}
	}
	e.reloadOwed = false
	return nil
}

// reload runs ReloadCmd under ReloadTimeout, its output logged.
func (e *Exporter) reload(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, e.opts.ReloadTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", e.opts.ReloadCmd)
	cmd.Env = append(os.Environ(), "ALMANAC_DOVECOT_PASSWD="+e.opts.PasswdFile, "ALMANAC_POSTFIX_VIRTUAL="+e.opts.VirtualMap)
	out := &capped{max: maxReloadOutput}
	cmd.Stdout, cmd.Stderr = out, out
	killGroup(cmd)
	// A child that outlives the shell holding the output pipe must not
	// hold the exporter.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err := cmd.Run()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %s", e.opts.ReloadTimeout)
	}
	output := strings.TrimSpace(out.String())
	if err != nil {
		e.log.ErrorContext(ctx, "mailbox: the mail reload command failed", "err", err, "output", output)
		return fmt.Errorf("mailbox: reload command: %w", err)
	}
	e.log.InfoContext(ctx, "mailbox: mail reload command ran", "dur", time.Since(start).Round(time.Millisecond), "output", output)
	return nil
}

// ExportStatus is the state of an Exporter.
type ExportStatus struct {
	// Pending: a change is not written yet (or its write failed).
	Pending bool
	// Failures counts the attempts that failed in a row since FailingSince;
	// 0 once one succeeds. Err is the last one's error.
	Failures     int
	Err          error
	FailingSince time.Time
	// LastWrite is when the files last matched the store.
	LastWrite time.Time
}

// Status reports the exporter's state.
func (e *Exporter) Status() ExportStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	return ExportStatus{Pending: e.pending, Failures: e.failures, Err: e.lastErr, FailingSince: e.failSince, LastWrite: e.lastWrite}
}

// Health is nil while exports succeed, else why the files are behind.
func (e *Exporter) Health() error {
	s := e.Status()
	if s.Failures == 0 {
		return nil
	}
	return fmt.Errorf("mail server files: %d attempts failed since %s: %w", s.Failures, s.FailingSince.UTC().Format(time.RFC3339), s.Err)
}

// capped keeps the first max bytes written to it.
type capped struct {
	max int
	buf bytes.Buffer
	cut bool
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.buf.Write(p[:max(room, 0)])
		c.cut = true
		return len(p), nil
	}
	return c.buf.Write(p)
}

func (c *capped) String() string {
	if c.cut {
		return c.buf.String() + " …"
	}
	return c.buf.String()
}
