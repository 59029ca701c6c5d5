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
	"syscall"
	"time"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/internal/server"
	"almanac/notify"
	"almanac/sharing"
	"almanac/storage"
)

func serve(args []string, stdout, stderr io.Writer) error {
	fs, data := newFlagSet("serve", stderr)
	listen := fs.String("listen", envOr("ALMANAC_LISTEN", "127.0.0.1:8080"), "address to listen on (env ALMANAC_LISTEN)")
	level := fs.String("log-level", envOr("ALMANAC_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env ALMANAC_LOG_LEVEL)")
	linkKey := fs.String("link-key", envOr("ALMANAC_LINK_KEY", ""), "file holding the key public-link tokens derive from, created when missing; keep it apart from the database (env ALMANAC_LINK_KEY; default DATA/link.key)")
	publicURL := fs.String("public-url", envOr("ALMANAC_PUBLIC_URL", ""), "external base URL public links are shown with, e.g. https://cal.example.com (env ALMANAC_PUBLIC_URL; default: the request's)")
	feedTTL := fs.Duration("feed-ttl", envDuration("ALMANAC_FEED_TTL", time.Hour), "refresh interval public feeds suggest to subscribers (env ALMANAC_FEED_TTL)")
	smtpHost := fs.String("smtp-host", envOr("ALMANAC_SMTP_HOST", ""), "SMTP submission server for account mail; empty writes mail to DATA/outbox (env ALMANAC_SMTP_HOST)")
	smtpPort := fs.Int("smtp-port", envInt("ALMANAC_SMTP_PORT", 0), "SMTP port (default 587 with starttls, 465 with tls) (env ALMANAC_SMTP_PORT)")
	smtpSecurity := fs.String("smtp-security", envOr("ALMANAC_SMTP_SECURITY", "starttls"), "starttls, tls or none (env ALMANAC_SMTP_SECURITY)")
	smtpUser := fs.String("smtp-user", envOr("ALMANAC_SMTP_USER", ""), "SMTP user name (env ALMANAC_SMTP_USER; the password only from env ALMANAC_SMTP_PASSWORD)")
	smtpFrom := fs.String("smtp-from", envOr("ALMANAC_SMTP_FROM", ""), "From address of account mail (env ALMANAC_SMTP_FROM)")
	dovecotPasswd := fs.String("dovecot-passwd", envOr("ALMANAC_DOVECOT_PASSWD", ""), "Dovecot passwd-file kept up to date with mailbox passwords (env ALMANAC_DOVECOT_PASSWD)")
	postfixVirtual := fs.String("postfix-virtual", envOr("ALMANAC_POSTFIX_VIRTUAL", ""), "Postfix virtual alias table kept up to date (env ALMANAC_POSTFIX_VIRTUAL)")
	maxInstances := fs.Int("max-instances", envInt("ALMANAC_MAX_INSTANCES", 10000), "instances of one recurring object a query, expand or free-busy walks at most (env ALMANAC_MAX_INSTANCES)")
	syncRetention := fs.Duration("sync-retention", envDuration("ALMANAC_SYNC_RETENTION", defaultSyncRetention), "how long sync tokens stay valid; older change history is pruned hourly and a client with an older token resynchronises; 0 keeps all (env ALMANAC_SYNC_RETENTION)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 0 {
		return errUsage
	}
	if *feedTTL < time.Minute {
		return fmt.Errorf("-feed-ttl must be at least 1m")
	}
	if *maxInstances < 1 {
		return fmt.Errorf("-max-instances must be at least 1")
	}
	if *syncRetention != 0 && *syncRetention < minSyncRetention {
		return fmt.Errorf("-sync-retention must be 0 (keep all history) or at least %v", minSyncRetention)
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("invalid log level %q", *level)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))

	db, err := openStore(*data)
	if err != nil {
		return err
	}
	defer db.Close()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if err := firstAccount(ctx, db, stdout); err != nil {
		return err
	}
	if err := provisionAll(ctx, db); err != nil {
		return err
	}

	if *linkKey == "" {
		*linkKey = filepath.Join(*data, "link.key")
	}
	keys, err := sharing.LoadKey(*linkKey)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	// Without SMTP, mail and SMS land in DATA/outbox, logged, so that a
	// fresh machine works; SMS always does until a gateway is added.
	outbox := notify.NewOutbox(filepath.Join(*data, "outbox"), logger)
	var mailer notify.Mailer = outbox
	if *smtpHost != "" {
		if mailer, err = notify.NewSMTP(notify.SMTPConfig{Host: *smtpHost, Port: *smtpPort, Security: *smtpSecurity,
			Username: *smtpUser, Password: os.Getenv("ALMANAC_SMTP_PASSWORD"), From: *smtpFrom}); err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
	}
	app := server.New(server.Config{Store: db, Logger: logger, MaxInstances: *maxInstances,
		LinkKeys: keys, PublicURL: *publicURL, FeedTTL: *feedTTL, Mailer: mailer, Texter: outbox,
		DovecotPasswd: *dovecotPasswd, PostfixVirtual: *postfixVirtual, SyncRetention: *syncRetention})
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
