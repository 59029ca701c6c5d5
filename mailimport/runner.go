package mailimport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"almanac/auth"
	"almanac/notify"
	"almanac/storage"
)

// Config is how imports run. A zero Destination.Host disables them: the
// API then refuses new imports.
type Config struct {
	// Destination is the Dovecot IMAP server of almanac's mailboxes, and
	// MasterUser and MasterSecret its master user (README), who logs in
	// as "address*MasterUser" to write into any mailbox.
	Destination              Endpoint
	MasterUser, MasterSecret string
	// Key seals source passwords while their job runs (LoadKey); nil: a
	// random key that lives as long as the process.
	Key []byte
	// Workers bounds the jobs copying at once on this server, PerHost
	// those reading from one source host (0: 4 and 2).
	Workers, PerHost int
	// MaxAttempts is how many times a source that fails (unreachable,
	// disconnected) is tried before its job ends without it, with
	// RetryBase, RetryBase*4, RetryBase*16 ... (at most an hour) between
	// attempts (0: 5 attempts from one minute).
	MaxAttempts int
	RetryBase   time.Duration
	// ConnectTimeout bounds connecting and logging in, IdleTimeout the
	// wait for progress of a command (0: 20 s and 2 min).
	ConnectTimeout, IdleTimeout time.Duration
	// AllowPrivate lets sources be on loopback and private addresses,
	// which are refused by default: a user must not make the server
	// probe its own network.
	AllowPrivate bool
	// TLSConfig verifies the servers' certificates; nil: the system's
	// roots.
	TLSConfig *tls.Config

	// Tuning, not exported: how often progress is saved.
	checkpointEvery    time.Duration
	checkpointMessages int
}

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.PerHost <= 0 {
		c.PerHost = 2
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.RetryBase <= 0 {
		c.RetryBase = time.Minute
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = 20 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 2 * time.Minute
	}
	if c.checkpointEvery <= 0 {
		c.checkpointEvery = time.Second
	}
	if c.checkpointMessages <= 0 {
		c.checkpointMessages = 500
	}
	return c
}

// Store is what imports read and write: the jobs, and the mailboxes
// they write into.
type Store interface {
	storage.Jobs
	storage.Mail
}

// Options are the runner's collaborators.
type Options struct {
	Logger *slog.Logger
	// Mailer sends the confirmation mails.
	Mailer notify.Mailer
	// Guard, when set, decides where failed source logins are counted
	// (auth.Guard.Limiter: the store every server shares, or this
	// process); nil counts them in this process.
	Guard *auth.Guard
	// Signals, when set, carries new jobs and cancellations between the
	// servers sharing the store: one of them runs the jobs (the server
	// runs Run under storage.Exclusive), any may take the request.
	Signals storage.Signals
}

// Service runs import jobs in the background: a pool of workers bounded
// server-wide and per source host, one job at a time per destination
// mailbox, retries with back-off, cancellation, and a resume of what a
// stopped server left.
type Service struct {
	store  Store
	cfg    Config
	dial   *dialer
	seal   *sealer
	log    *slog.Logger
	mailer notify.Mailer

	wake chan struct{}
	// signals tells the server running the jobs of a new job or a
	// cancellation asked for through another; stale is set when it was
	// told, so that schedule reads the unfinished jobs again.
	signals storage.Signals
	stale   atomic.Bool
	// logins counts failed source logins per account (api.go).
	logins *auth.Limiter

	mu         sync.Mutex
	unfinished map[string]bool                    // IDs of jobs not ended
	active     map[string]context.CancelCauseFunc // jobs a worker copies now
}

// New returns a runner; Run starts its work.
func New(store Store, cfg Config, opts Options) (*Service, error) {
	cfg = cfg.withDefaults()
	key := cfg.Key
	if key == nil {
		key = make([]byte, KeySize)
		rand.Read(key)
	}
	seal, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	logins := auth.NewLimiter(loginFailLimit, loginFailWindow, 10000)
	if opts.Guard != nil {
		logins = opts.Guard.Limiter("import source logins", loginFailLimit, loginFailWindow)
	}
	return &Service{store: store, logins: logins, signals: opts.Signals, cfg: cfg, seal: seal, log: log, mailer: opts.Mailer,
		dial: &dialer{allowPrivate: cfg.AllowPrivate, connectTimeout: cfg.ConnectTimeout,
			idleTimeout: cfg.IdleTimeout, tlsConfig: cfg.TLSConfig},
		wake: make(chan struct{}, 1), unfinished: map[string]bool{}, active: map[string]context.CancelCauseFunc{}}, nil
}

// Enabled reports whether imports can run: a destination is set.
func (r *Service) Enabled() bool { return r.cfg.Destination.Host != "" }

func (r *Service) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run runs jobs until ctx is done, then stops the workers, which save
// their progress: the next Run resumes them.
func (r *Service) Run(ctx context.Context) {
	if !r.Enabled() {
		return
	}
	if err := r.resume(ctx); err != nil {
		r.log.ErrorContext(ctx, "mailimport: cannot read the unfinished imports", "err", err)
	}
	var wg sync.WaitGroup
	if r.signals != nil {
		wg.Go(func() {
			r.signals.Listen(ctx, signalTopic, func() {
				r.stale.Store(true)
				r.poke()
			})
		})
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := r.schedule(ctx, &wg)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(time.Until(next), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-r.wake:
		case <-timer.C:
		}
	}
}

// resume takes up the jobs a stopped server left: those it was running
// wait for a worker again, from their saved progress.
func (r *Service) resume(ctx context.Context) error {
	jobs, err := r.store.UnfinishedImportJobs(ctx)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, j := range jobs {
		r.unfinished[j.ID] = true
		if j.State != storage.ImportRunning {
			continue
		}
		_, err := r.store.UpdateImportJob(ctx, j.ID, func(j *storage.ImportJob) error {
			j.State = storage.ImportQueued
			for i := range j.Sources {
				if j.Sources[i].State == storage.ImportRunning {
					j.Sources[i].State = storage.ImportQueued
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.log.InfoContext(ctx, "mailimport: resuming an interrupted import", "job", j.ID)
	}
	return nil
}

// newID is a fresh random job or batch ID, safe in URLs.
func newID() string { return strings.ToLower(rand.Text()[:16]) }

// current is the source a job copies next, -1 when every one has
// ended.
func current(j *storage.ImportJob) int {
	for i, s := range j.Sources {
		if !storage.ImportEnded(s.State) {
			return i
		}
	}
	return -1
}

func hostKey(s storage.ImportSource) string { return strings.ToLower(s.Host) }

func destKey(j *storage.ImportJob) string { return j.Service + "/" + strings.ToLower(j.LocalPart) }

// signalTopic is the storage.Signals topic of new jobs and
// cancellations.
const signalTopic = "imports"

// signal tells the server running the jobs, wherever it is, to look at
// them again. A failure leaves the job to the next look: at the latest
// when that server starts again.
func (r *Service) signal(ctx context.Context) {
	if r.signals == nil {
		return
	}
	if err := r.signals.Signal(context.WithoutCancel(ctx), signalTopic); err != nil {
		r.log.ErrorContext(ctx, "mailimport: cannot tell the other servers of an import", "err", err)
	}
}

// reload adds the unfinished jobs of the store, those asked for
// through other servers included, to what schedule looks at. A job
// running here stays as it is; r.mu is held.
func (r *Service) reload(ctx context.Context) {
	jobs, err := r.store.UnfinishedImportJobs(ctx)
	if err != nil {
		r.stale.Store(true)
		r.log.ErrorContext(ctx, "mailimport: cannot read the unfinished imports", "err", err)
		return
	}
	for _, j := range jobs {
		r.unfinished[j.ID] = true
	}
}

// schedule starts the jobs that may start now, oldest first, and
// returns when the next waiting one may (zero: none waits).
func (r *Service) schedule(ctx context.Context, wg *sync.WaitGroup) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stale.Swap(false) {
		r.reload(ctx)
	}
	var jobs []*storage.ImportJob
	for id := range r.unfinished {
		j, err := r.store.ImportJob(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			delete(r.unfinished, id) // its account was deleted
			continue
		}
		if err != nil {
			r.log.ErrorContext(ctx, "mailimport: read import job", "job", id, "err", err)
			continue
		}
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *storage.ImportJob) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	active := map[string]bool{}
	for id := range r.active {
		active[id] = true
	}
	d := pick(jobs, active, r.cfg, time.Now())
	for _, id := range d.drop {
		delete(r.unfinished, id)
	}
	for _, id := range d.finish {
		// Cancelled while waiting, or every source ended before a stop:
		// end it now, outside the lock finish takes.
		delete(r.unfinished, id)
		go r.finish(context.WithoutCancel(ctx), id)
	}
	for _, j := range d.start {
		si := current(j)
		jctx, cancel := context.WithCancelCause(ctx)
		r.active[j.ID] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, jctx, j.ID, si)
			r.mu.Lock()
			cancel(nil)
			delete(r.active, j.ID)
			r.mu.Unlock()
			r.poke()
		}()
	}
	return d.next
}

// decision is what the scheduler does with the unfinished jobs.
type decision struct {
	start  []*storage.ImportJob // start a worker on these
	finish []string             // end these (cancelled, or all sources ended)
	drop   []string             // forget these: they ended already
	next   time.Time            // when a job waiting for a retry may start; zero: none waits
}

// pick decides, for jobs in the order given (oldest first) and the
// ones running (active), which start now: at most cfg.Workers running
// in all, cfg.PerHost reading from one source host, one writing into
// one destination mailbox, none before its retry time.
func pick(jobs []*storage.ImportJob, active map[string]bool, cfg Config, now time.Time) decision {
	var d decision
	hosts, dests := map[string]int{}, map[string]bool{}
	running := 0
	for _, j := range jobs {
		if active[j.ID] {
			running++
			if si := current(j); si >= 0 {
				hosts[hostKey(j.Sources[si])]++
			}
			dests[destKey(j)] = true
		}
	}
	for _, j := range jobs {
		if active[j.ID] {
			continue
		}
		if storage.ImportEnded(j.State) {
			d.drop = append(d.drop, j.ID)
			continue
		}
		si := current(j)
		if j.Cancel || si < 0 {
			d.finish = append(d.finish, j.ID)
			continue
		}
		src := j.Sources[si]
		if src.RetryAt.After(now) {
			if d.next.IsZero() || src.RetryAt.Before(d.next) {
				d.next = src.RetryAt
			}
			continue
		}
		if running >= cfg.Workers || hosts[hostKey(src)] >= cfg.PerHost || dests[destKey(j)] {
			continue
		}
		running++
		hosts[hostKey(src)]++
		dests[destKey(j)] = true
		d.start = append(d.start, j)
	}
	return d
}

// errJobCancelled stops a job from starting after its owner cancelled
// it.
var errJobCancelled = errors.New("mailimport: the job was cancelled")

// work makes one attempt at source si of job id: runCtx is the
// server's, jctx the job's own (cancelled when its owner stops it).
func (r *Service) work(runCtx, jctx context.Context, id string, si int) {
	j, err := r.store.UpdateImportJob(runCtx, id, func(j *storage.ImportJob) error {
		if j.Cancel {
			return errJobCancelled
		}
		j.State = storage.ImportRunning
		j.Sources[si].State = storage.ImportRunning
		return nil
	})
	switch {
	case errors.Is(err, errJobCancelled):
		r.finish(context.WithoutCancel(runCtx), id)
		return
	case err != nil:
		r.log.ErrorContext(runCtx, "mailimport: start import", "job", id, "err", err)
		return
	}
	password, err := r.seal.open(id, si, j.Sources[si].Secret)
	if err != nil {
		r.log.ErrorContext(runCtx, "mailimport: cannot open the sealed password (was the import key replaced?)", "job", id, "err", err)
		r.endSource(runCtx, id, si, "the password kept for this import could not be read on this server; start the import again")
		return
	}
	start := time.Now()
	err = r.copySource(jctx, runCtx, j, si, password)
	cause := context.Cause(jctx)
	ctx := context.WithoutCancel(runCtx)
	var ce *connError
	var de *destError
	switch {
	case errors.Is(cause, errCancelled), errors.Is(err, errCancelled):
		r.log.InfoContext(ctx, "mailimport: import cancelled", "job", id)
		r.finish(ctx, id)
	case runCtx.Err() != nil:
		// The server stops: the job waits for the next start.
		r.update(ctx, id, func(j *storage.ImportJob) {
			j.State = storage.ImportQueued
			j.Sources[si].State = storage.ImportQueued
		})
	case err == nil:
		r.log.InfoContext(ctx, "mailimport: source copied", "job", id, "source", j.Sources[si].Address, "dur", time.Since(start).Round(time.Millisecond))
		r.endSource(ctx, id, si, "")
	case errors.As(err, &de):
		r.log.ErrorContext(ctx, "mailimport: the destination refused the master login; check the Dovecot master user", "job", id, "err", err)
		r.endSource(ctx, id, si, fmt.Sprintf("the mailbox %s could not be opened for the import", j.Destination))
	case errors.As(err, &ce) && ce.ep == r.cfg.Destination:
		r.log.WarnContext(ctx, "mailimport: destination unavailable", "job", id, "err", err)
		r.retry(ctx, id, si, fmt.Sprintf("the mailbox %s could not be reached", j.Destination))
	case errors.As(err, &ce) && permanent(ce.kind):
		r.log.InfoContext(ctx, "mailimport: source refused", "job", id, "err", err)
		r.endSource(ctx, id, si, ce.words())
	case errors.As(err, &ce):
		r.log.InfoContext(ctx, "mailimport: source failed, retrying later", "job", id, "err", err)
		r.retry(ctx, id, si, ce.words())
	default:
		r.log.ErrorContext(ctx, "mailimport: import attempt failed", "job", id, "err", err)
		r.retry(ctx, id, si, "an error on this server interrupted the copy")
	}
}

// permanent failures end a source at once: trying again does not help.
func permanent(k failKind) bool {
	switch k {
	case failAuth, failPrivate, failProtocol, failTLS:
		return true
	}
	return false
}

// update changes a job, logging a failure: the job record is the only
// place its progress lives, so a store that fails is the operator's to
// see.
func (r *Service) update(ctx context.Context, id string, change func(*storage.ImportJob)) *storage.ImportJob {
	j, err := r.store.UpdateImportJob(ctx, id, func(j *storage.ImportJob) error { change(j); return nil })
	if err != nil {
		r.log.ErrorContext(ctx, "mailimport: update import job", "job", id, "err", err)
		return nil
	}
	return j
}

// retry schedules another attempt at source si after a back-off, or
// ends it after MaxAttempts.
func (r *Service) retry(ctx context.Context, id string, si int, why string) {
	var gaveUp bool
	r.update(ctx, id, func(j *storage.ImportJob) {
		s := &j.Sources[si]
		s.Attempts++
		s.Error = why
		if s.Attempts >= r.cfg.MaxAttempts {
			gaveUp = true
			return
		}
		s.State = storage.ImportQueued
		s.RetryAt = time.Now().Add(r.backoff(s.Attempts))
		j.State = storage.ImportQueued
	})
	if gaveUp {
		r.endSource(ctx, id, si, fmt.Sprintf("%s; gave up after %d attempts", why, r.cfg.MaxAttempts))
	}
}

func (r *Service) backoff(attempts int) time.Duration {
	d := r.cfg.RetryBase
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 4
	}
	return min(d, time.Hour)
}

// endSource ends source si: done when it went through without a
// failure, partial when something went wrong but something was copied
// or found there already, failed otherwise; why ("" when it went
// through) is the reason in words. The job ends with its last source.
func (r *Service) endSource(ctx context.Context, id string, si int, why string) {
	j := r.update(ctx, id, func(j *storage.ImportJob) {
		s := &j.Sources[si]
		s.Error = why
		s.RetryAt = time.Time{}
		s.State = sourceOutcome(s, why != "")
		if current(j) >= 0 {
			j.State = storage.ImportQueued
		}
	})
	if j != nil && current(j) < 0 {
		r.finish(ctx, id)
	}
}

// sourceOutcome is the state a source ends in.
func sourceOutcome(s *storage.ImportSource, broken bool) string {
	var moved, failed int
	for _, f := range s.Folders {
		moved += f.Copied + f.Skipped
		failed += f.Failed + len(f.Errors)
	}
	switch {
	case !broken && failed == 0:
		return storage.ImportDone
	case moved > 0:
		return storage.ImportPartial
	}
	return storage.ImportFailed
}

// finish ends a job: its state from its sources' (or cancelled), the
// sealed passwords erased in the same write, then the confirmation
// mailed to every address involved.
func (r *Service) finish(ctx context.Context, id string) {
	var already bool
	j := r.update(ctx, id, func(j *storage.ImportJob) {
		already = storage.ImportEnded(j.State)
		if already {
			return
		}
		j.State = jobOutcome(j)
		j.Finished = time.Now().UTC()
		for i := range j.Sources {
			j.Sources[i].Secret = nil
			if !storage.ImportEnded(j.Sources[i].State) {
				j.Sources[i].State = storage.ImportCancelled
				j.Sources[i].RetryAt = time.Time{}
			}
		}
	})
	r.mu.Lock()
	delete(r.unfinished, id)
	r.mu.Unlock()
	if j == nil || already {
		return
	}
	r.log.InfoContext(ctx, "mailimport: import ended", "job", id, "state", j.State)
	sent := true
	for _, to := range recipients(j) {
		if r.mailer == nil {
			break
		}
		if err := r.mailer.Send(ctx, confirmation(j, to)); err != nil {
			sent = false
			r.log.ErrorContext(ctx, "mailimport: confirmation mail failed", "job", id, "to", to, "err", err)
		}
	}
	if sent && r.mailer != nil {
		r.update(ctx, id, func(j *storage.ImportJob) { j.Notified = true })
	}
}

// jobOutcome is the state a job ends in.
func jobOutcome(j *storage.ImportJob) string {
	if j.Cancel {
		return storage.ImportCancelled
	}
	done, failed := 0, 0
	for _, s := range j.Sources {
		switch s.State {
		case storage.ImportDone:
			done++
		case storage.ImportFailed:
			failed++
		}
	}
	switch {
	case done == len(j.Sources):
		return storage.ImportDone
	case failed == len(j.Sources):
		return storage.ImportFailed
	}
	return storage.ImportPartial
}

// submit hands a new job to the workers, here or on the server that
// runs them.
func (r *Service) submit(ctx context.Context, id string) {
	r.mu.Lock()
	r.unfinished[id] = true
	r.mu.Unlock()
	r.poke()
	r.signal(ctx)
}

// errEnded refuses to cancel a job that has ended.
var errEnded = errors.New("mailimport: the import has ended")

// cancel asks job id to stop: a running one stops at its next step,
// saving what it copied, a waiting one ends now.
func (r *Service) cancel(ctx context.Context, id string) (*storage.ImportJob, error) {
	j, err := r.store.UpdateImportJob(ctx, id, func(j *storage.ImportJob) error {
		if storage.ImportEnded(j.State) {
			return errEnded
		}
		j.Cancel = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	stop := r.active[id]
	r.mu.Unlock()
	if stop != nil {
		stop(errCancelled)
	} else {
		r.poke()
		// A worker on another server sees the cancellation when it
		// next saves its progress; a job waiting there ends when that
		// server looks.
		r.signal(ctx)
	}
	return j, nil
}
