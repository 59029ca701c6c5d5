package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/internal/backup"
	"almanac/notify"
	"almanac/server"
	"almanac/sharing"
	"almanac/storage"
)

func serve(args []string, stdout, stderr io.Writer) error {
	c := newCmdline("serve", stdout)
	data := c.dataDir()
	listen := c.str("listen", "ALMANAC_LISTEN", "127.0.0.1:8080", "address to listen on, `ADDR` = host:port", parseListen)
	level := value(c, "log-level", "ALMANAC_LOG_LEVEL", "info", "log `LEVEL`: debug, info, warn, error", parseLogLevel)
	linkKey := c.str("link-key", "ALMANAC_LINK_KEY", "", "`FILE` holding the key public-link tokens derive from, created when missing; keep it apart from the database (default DATA/link.key)", checkFile)
	publicURL := c.str("public-url", "ALMANAC_PUBLIC_URL", "", "external base `URL` public links are shown with, e.g. https://cal.example.com (default: the request's)", parsePublicURL)
	feedTTL := c.duration("feed-ttl", "ALMANAC_FEED_TTL", time.Hour, time.Minute, 7*24*time.Hour, "refresh interval public feeds suggest to subscribers, a `DURATION` from 1m to 168h")
	smtpHost := c.str("smtp-host", "ALMANAC_SMTP_HOST", "", "SMTP submission server `HOST` for account mail; empty writes mail to DATA/outbox", parseSMTPHost)
	smtpPort := c.integer("smtp-port", "ALMANAC_SMTP_PORT", 0, 0, 65535, "SMTP `PORT` (0: 587 with starttls, 465 with tls, 25 with none)")
	smtpSecurity := c.str("smtp-security", "ALMANAC_SMTP_SECURITY", "starttls", "SMTP security `MODE`: starttls, tls or none", parseSMTPSecurity)
	smtpUser := c.str("smtp-user", "ALMANAC_SMTP_USER", "", "SMTP user `NAME` (the password only from env ALMANAC_SMTP_PASSWORD)", nil)
	smtpFrom := c.str("smtp-from", "ALMANAC_SMTP_FROM", "", "From `ADDRESS` of account mail (required with -smtp-host)", parseAddress)
	dovecotPasswd := c.str("dovecot-passwd", "ALMANAC_DOVECOT_PASSWD", "", "Dovecot passwd-file `FILE` kept up to date with mailbox passwords; its directory must exist", checkOutputFile)
	postfixVirtual := c.str("postfix-virtual", "ALMANAC_POSTFIX_VIRTUAL", "", "Postfix virtual alias table `FILE` kept up to date; its directory must exist", checkOutputFile)
	maxInstances := c.integer("max-instances", "ALMANAC_MAX_INSTANCES", 10000, 1, 1_000_000, "at most `N` instances of one recurring object a query, expand or free-busy report walks, 1 to 1000000")
	syncRetention := value(c, "sync-retention", "ALMANAC_SYNC_RETENTION", formatDuration(defaultSyncRetention),
		"how long sync tokens stay valid, a `DURATION` of at least 24h, or 0 to keep all history; older change history is pruned hourly and a client with an older token resynchronises",
		parseRetention)
	backupDir := c.str("backup-dir", "ALMANAC_BACKUP_DIR", "", "existing, writable directory `DIR` for scheduled backups, best on another disk; empty: none", checkBackupDir)
	backupEvery := c.duration("backup-every", "ALMANAC_BACKUP_EVERY", 24*time.Hour, time.Minute, 366*24*time.Hour, "time between scheduled backups, a `DURATION` from 1m to 8784h")
	backupKeep := c.integer("backup-keep", "ALMANAC_BACKUP_KEEP", 7, 1, 100_000, "how many scheduled backups to keep, `N` from 1 to 100000; older ones are removed")
	if err := c.parse(args, 0, 0); err != nil {
		return err
	}
	if *backupDir == "" {
		for _, f := range []string{"backup-every", "backup-keep"} {
			if c.given(f) {
				return &usageError{cmd: "serve", msg: "-" + f + " needs -backup-dir (env ALMANAC_BACKUP_DIR)"}
			}
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: *level}))
	// Without SMTP, mail and SMS land in DATA/outbox, logged, so that a
	// fresh machine works; SMS always does until a gateway is added.
	outbox := notify.NewOutbox(filepath.Join(*data, "outbox"), logger)
	var mailer notify.Mailer = outbox
	if *smtpHost != "" {
		if *smtpFrom == "" {
			return &usageError{cmd: "serve", msg: "-smtp-host needs -smtp-from (env ALMANAC_SMTP_FROM)"}
		}
		var err error
		if mailer, err = notify.NewSMTP(notify.SMTPConfig{Host: *smtpHost, Port: *smtpPort, Security: *smtpSecurity,
			Username: *smtpUser, Password: os.Getenv("ALMANAC_SMTP_PASSWORD"), From: *smtpFrom}); err != nil {
			return &usageError{cmd: "serve", msg: fmt.Sprintf("-smtp-* (env ALMANAC_SMTP_*): %v", err)}
		}
	}

	// Bind before anything is written: a port in use must not leave a
	// first account (whose password was printed to a failing run) behind.
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()

	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()

	if *linkKey == "" {
		*linkKey = filepath.Join(*data, "link.key")
	}
	keys, err := sharing.LoadKey(*linkKey)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := firstAccount(ctx, db, stdout); err != nil {
		return err
	}
	if err := provisionAll(ctx, db); err != nil {
		return err
	}

	app := server.New(server.Config{Store: db, Logger: logger, MaxInstances: *maxInstances,
		LinkKeys: keys, PublicURL: *publicURL, FeedTTL: *feedTTL, Mailer: mailer, Texter: outbox,
		DovecotPasswd: *dovecotPasswd, PostfixVirtual: *postfixVirtual, SyncRetention: *syncRetention,
		Backup: server.BackupConfig{Dir: *backupDir, Every: *backupEvery, Keep: *backupKeep,
			Keys: []backup.KeyFile{{Kind: backup.KindLinkKey, Path: *linkKey}}}})
	appCtx, stopApp := context.WithCancel(context.Background())
	appDone := make(chan struct{})
	go func() { app.Run(appCtx); close(appDone) }()
	defer func() { stopApp(); <-appDone }()
	srv := &http.Server{
		Handler:           app,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("almanac listening", "addr", ln.Addr().String(), "data", *data)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// defaultSyncRetention keeps sync tokens valid for a year, longer than
// Radicale (30 days) or Nextcloud (60): a token is only history, one small
// record per deleted member, and a year covers a laptop or a phone left
// unused for a season, which then syncs what changed instead of
// downloading every calendar again.
const defaultSyncRetention = 365 * 24 * time.Hour

// minSyncRetention refuses a retention that would send clients which sync
// daily into full resyncs.
const minSyncRetention = 24 * time.Hour

// parseRetention reads -sync-retention: 0 (keep all history) or a
// duration of at least minSyncRetention.
func parseRetention(s string) (time.Duration, error) {
	if strings.TrimSpace(s) == "0" {
		return 0, nil
	}
	d, err := parseDuration(s, minSyncRetention, 100*365*24*time.Hour)
	if err != nil {
		return 0, fmt.Errorf("%v; or 0 to keep all history", err)
	}
	return d, nil
}

// firstLogin is the account created on a first start with no accounts.
const firstLogin = "admin@almanac.local"

// firstAccount creates an account and prints its credentials once when
// the database has none, so a fresh install can be used at once.
func firstAccount(ctx context.Context, store storage.Store, stdout io.Writer) error {
	accs, err := store.ListAccounts(ctx)
	if err != nil {
		return err
	}
	if len(accs) > 0 {
		return nil
	}
	pw := auth.GeneratePassword()
	acc, err := createAccount(ctx, store, firstLogin, pw, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the first account.\n  login:    %s\n  password: %s\nThis password is shown once. Change it with: almanac user passwd %s\n", acc.Login, pw, acc.Login)
	return nil
}

func createAccount(ctx context.Context, store storage.Store, login, password, handle string) (*storage.Account, error) {
	if err := auth.ValidateLogin(login); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return nil, err
	}
	acc := &storage.Account{ID: handle, Login: login, PasswordHash: hash}
	if err := store.CreateAccount(ctx, acc); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return nil, fmt.Errorf("an account with login %s (or handle %q) already exists", login, handle)
		}
		return nil, err
	}
	if err := caldav.Provision(ctx, store, acc); err != nil {
		return nil, err
	}
	if err := carddav.Provision(ctx, store, acc); err != nil {
		return nil, err
	}
	return acc, nil
}

// provisionAll gives every account an address book if it has none:
// accounts made before address books existed get theirs at the first
// start of a version that serves them.
func provisionAll(ctx context.Context, store storage.Store) error {
	accs, err := store.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for i := range accs {
		if err := carddav.Provision(ctx, store, &accs[i]); err != nil {
			return err
		}
	}
	return nil
}
