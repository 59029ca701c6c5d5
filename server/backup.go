package server

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"almanac/internal/backup"
	"almanac/storage"
)

// BackupConfig schedules backups of the store (Config.Backup).
type BackupConfig struct {
	// Dir receives the archives, named almanac-YYYYMMDDTHHMMSSZ.tar.gz
	// (UTC); "" schedules none. It should be on another disk than the
	// database.
	Dir string
	// Every is the time from the start of one backup to the next (0:
	// a day). The first is due Every after the newest archive in Dir,
	// at once when there is none, so a restart neither skips a backup
	// nor makes an extra one.
	Every time.Duration
	// Keep is how many archives stay in Dir (0: 7). After each
	// successful backup the oldest archives of the naming above are
	// removed; other files in Dir are never touched.
	Keep int
	// Keys are the key files every archive includes (the link key).
	Keys []backup.KeyFile
	// Done, when set, is called after each scheduled backup with its
	// outcome, failures included: the hook for metrics (backups by
	// outcome, time of the last success, archive size).
	Done func(BackupResult)
}

// BackupResult is the outcome of one scheduled backup.
type BackupResult struct {
	Path     string
	Manifest *backup.Manifest // nil when the backup failed
	Size     int64            // bytes of the archive
	Duration time.Duration
	Removed  []string // older archives removed by retention
	// Err is why the backup failed, or why retention did after a
	// backup that was written (Manifest is then set).
	Err error
}

const (
	defaultBackupEvery = 24 * time.Hour
	defaultBackupKeep  = 7
	// archiveLayout is the time in an archive's name: sortable, UTC,
	// no characters a file system or a shell minds.
	archiveLayout = "20060102T150405Z"
	archivePrefix = "almanac-"
	archiveSuffix = ".tar.gz"
)

// backupper runs the scheduled backups.
type backupper struct {
	cfg   BackupConfig
	store storage.Maintenance
	log   *slog.Logger
	now   func() time.Time
	// after is time.After, replaced in tests.
	after func(time.Duration) <-chan time.Time
}

func newBackupper(cfg BackupConfig, store storage.Maintenance, log *slog.Logger) *backupper {
	if cfg.Dir == "" {
		return nil
	}
	if cfg.Every <= 0 {
		cfg.Every = defaultBackupEvery
	}
	if cfg.Keep <= 0 {
		cfg.Keep = defaultBackupKeep
	}
	return &backupper{cfg: cfg, store: store, log: log, now: time.Now, after: time.After}
}

// run makes a backup whenever one is due until ctx is done; a backup in
// progress then stops and leaves nothing behind.
func (b *backupper) run(ctx context.Context) {
	b.removeTemps()
	next := b.due()
	for {
		if wait := next.Sub(b.now()); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-b.after(wait):
			}
		}
		if ctx.Err() != nil {
			return
		}
		start := b.now()
		b.once(ctx, start)
		next = start.Add(b.cfg.Every)
	}
}

// due is when the next backup is due: Every after the newest archive,
// now when there is none.
func (b *backupper) due() time.Time {
	now := b.now()
	archives, err := b.archives()
	if err != nil || len(archives) == 0 {
		return now
	}
	return archives[len(archives)-1].at.Add(b.cfg.Every)
}

// once makes one backup stamped at, applies retention, logs the outcome
// and reports it to Done.
func (b *backupper) once(ctx context.Context, at time.Time) BackupResult {
	res := BackupResult{Path: filepath.Join(b.cfg.Dir, archiveName(at))}
	start := time.Now()
	res.Manifest, res.Err = backup.WriteFile(ctx, res.Path, b.store, backup.Options{Keys: b.cfg.Keys, Gzip: true,
		Now: func() time.Time { return at }})
	res.Duration = time.Since(start)
	switch {
	case res.Err != nil && ctx.Err() != nil:
		b.log.Warn("backup stopped by shutdown", "path", res.Path)
	case res.Err != nil:
		b.log.Error("backup failed", "path", res.Path, "err", res.Err)
	default:
		if fi, err := os.Stat(res.Path); err == nil {
			res.Size = fi.Size()
		}
		s := res.Manifest.Store
		b.log.Info("backup written", "path", res.Path, "bytes", res.Size, "accounts", s.Accounts,
			"collections", s.Collections, "objects", s.Objects, "dur", res.Duration.Round(time.Millisecond))
		res.Removed, res.Err = b.retain()
		if res.Err != nil {
			b.log.Error("backup retention failed", "dir", b.cfg.Dir, "err", res.Err)
		}
		for _, p := range res.Removed {
			b.log.Info("old backup removed", "path", p)
		}
	}
	if b.cfg.Done != nil {
		b.cfg.Done(res)
	}
	return res
}

func archiveName(at time.Time) string {
	return archivePrefix + at.UTC().Format(archiveLayout) + archiveSuffix
}

// archive is a scheduled backup found in Dir.
type archive struct {
	path string
	at   time.Time
}

// archives lists the scheduled backups in Dir, oldest first: regular
// files whose name is exactly one archiveName makes.
func (b *backupper) archives() ([]archive, error) {
	entries, err := os.ReadDir(b.cfg.Dir)
	if err != nil {
		return nil, err
	}
	var out []archive
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), archivePrefix)
		stamp, ok2 := strings.CutSuffix(stamp, archiveSuffix)
		if !ok || !ok2 || !e.Type().IsRegular() {
			continue
		}
		at, err := time.Parse(archiveLayout, stamp)
		if err != nil || archiveName(at) != e.Name() {
			continue
		}
		out = append(out, archive{filepath.Join(b.cfg.Dir, e.Name()), at})
	}
	slices.SortFunc(out, func(x, y archive) int { return x.at.Compare(y.at) })
	return out, nil
}

// retain removes all but the newest Keep archives.
func (b *backupper) retain() ([]string, error) {
	archives, err := b.archives()
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, a := range archives[:max(0, len(archives)-b.cfg.Keep)] {
		if err := os.Remove(a.path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, a.path)
	}
	return removed, errors.Join(errs...)
}

// removeTemps removes the temporary files of scheduled backups a crash
// left in Dir (backup.WriteFile names them .NAME.tmp-*).
func (b *backupper) removeTemps() {
	entries, err := os.ReadDir(b.cfg.Dir)
	if err != nil {
		b.log.Error("backup directory unreadable", "dir", b.cfg.Dir, "err", err)
		return
	}
	for _, e := range entries {
		if n := e.Name(); strings.HasPrefix(n, "."+archivePrefix) && strings.Contains(n, archiveSuffix+".tmp-") && e.Type().IsRegular() {
			if err := os.Remove(filepath.Join(b.cfg.Dir, n)); err == nil {
				b.log.Info("unfinished backup removed", "path", filepath.Join(b.cfg.Dir, n))
			}
		}
	}
}

// withBackupMetrics counts every scheduled backup as a job in m, besides
// calling the configuration's own Done.
func withBackupMetrics(cfg BackupConfig, m *metrics) BackupConfig {
	done := cfg.Done
	cfg.Done = func(r BackupResult) {
		m.jobDone("backup", r.Duration, r.Err)
		if done != nil {
			done(r)
		}
	}
	return cfg
}
