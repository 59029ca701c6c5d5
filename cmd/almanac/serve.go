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

	"almanac/admin"
	"almanac/auth"
	"almanac/carddav"
	"almanac/internal/backup"
	"almanac/internal/buildinfo"
	"almanac/internal/fault"
	"almanac/internal/remote"
	"almanac/mailimport"
	"almanac/notify"
	"almanac/server"
	"almanac/sharing"
	"almanac/storage"
)

func serve(args []string, stdout, stderr io.Writer) error {
	c := newCmdline("serve", stdout)
	data := c.dataDir()
	dbSet := c.dbFlags()
	listen := c.str("listen", "ALMANAC_LISTEN", "127.0.0.1:8080", "address to listen on, `ADDR` = host:port", parseListen)
	level := value(c, "log-level", "ALMANAC_LOG_LEVEL", "info", "log `LEVEL`: debug, info, warn, error", parseLogLevel)
	logFormat := c.str("log-format", "ALMANAC_LOG_FORMAT", "text", "log `FORMAT`: text (key=value) or json (one object a line)", parseLogFormat)
	metricsListen := c.str("metrics-listen", "ALMANAC_METRICS_LISTEN", "", "serve /metrics on this `ADDR` (host:port) of its own instead of on -listen; without it and without a metrics token there is no /metrics", parseOptionalListen)
	metricsTokenFile := c.str("metrics-token-file", "ALMANAC_METRICS_TOKEN_FILE", "", "`FILE` holding the bearer token /metrics requires (or the token itself in env ALMANAC_METRICS_TOKEN); without -metrics-listen, /metrics is then served on -listen", readTokenFile)
	linkKey := c.str("link-key", "ALMANAC_LINK_KEY", "", "`FILE` holding the key public-link tokens derive from, created when missing (with -db it must exist: every server reads the same); keep it apart from the database (default DATA/link.key)", checkFile)
	publicURL := c.str("public-url", "ALMANAC_PUBLIC_URL", "", "external base `URL` public links are shown with, e.g. https://cal.example.com (default: the request's)", parsePublicURL)
	feedTTL := c.duration("feed-ttl", "ALMANAC_FEED_TTL", time.Hour, time.Minute, 7*24*time.Hour, "refresh interval public feeds suggest to subscribers, a `DURATION` from 1m to 168h")
	smtpHost := c.str("smtp-host", "ALMANAC_SMTP_HOST", "", "SMTP submission server `HOST` for account mail; empty writes mail to DATA/outbox", parseSMTPHost)
	smtpPort := c.integer("smtp-port", "ALMANAC_SMTP_PORT", 0, 0, 65535, "SMTP `PORT` (0: 587 with starttls, 465 with tls, 25 with none)")
	smtpSecurity := c.str("smtp-security", "ALMANAC_SMTP_SECURITY", "starttls", "SMTP security `MODE`: starttls, tls or none", parseSMTPSecurity)
	smtpUser := c.str("smtp-user", "ALMANAC_SMTP_USER", "", "SMTP user `NAME` (the password only from env ALMANAC_SMTP_PASSWORD)", nil)
	smtpFrom := c.str("smtp-from", "ALMANAC_SMTP_FROM", "", "From `ADDRESS` of account mail (required with -smtp-host)", parseAddress)
	dovecotPasswd := c.str("dovecot-passwd", "ALMANAC_DOVECOT_PASSWD", "", "Dovecot passwd-file `FILE` kept up to date with mailbox passwords; its directory must exist and be writable", checkOutputFile)
	postfixVirtual := c.str("postfix-virtual", "ALMANAC_POSTFIX_VIRTUAL", "", "Postfix virtual alias table `FILE` kept up to date; its directory must exist and be writable", checkOutputFile)
	sieveDir := c.str("sieve-dir", "ALMANAC_SIEVE_DIR", "", "existing `DIR` kept up to date with one Sieve script per mailbox, DIR/<domain>/<local-part>.sieve, for Dovecot's responders", checkSieveDir)
	mailReload := c.str("mail-reload-cmd", "ALMANAC_MAIL_RELOAD_CMD", "",
		"shell `COMMAND` run with /bin/sh -c after the mail server files change, e.g. 'postmap \"$ALMANAC_POSTFIX_VIRTUAL\" && doveadm reload' (ALMANAC_DOVECOT_PASSWD and ALMANAC_POSTFIX_VIRTUAL hold the files); killed after 1m",
		parseReloadCmd)
	mailClients := defineMailClientFlags(c)
	maxInstances := c.integer("max-instances", "ALMANAC_MAX_INSTANCES", 10000, 1, 1_000_000, "at most `N` instances of one recurring object a query, expand or free-busy report walks, 1 to 1000000")
	reportSlots := c.integer("report-slots", "ALMANAC_REPORT_SLOTS", 4, 1, 1024, "at most `N` calendar-, free-busy- and addressbook-queries run at once, 1 to 1024; up to 16 times as many wait up to 10s, more are answered 503 with Retry-After")
	syncRetention := value(c, "sync-retention", "ALMANAC_SYNC_RETENTION", formatDuration(defaultSyncRetention),
		"how long sync tokens stay valid, a `DURATION` of at least 24h, or 0 to keep all history; older change history is pruned hourly and a client with an older token resynchronises",
		parseRetention)
	backupDir := c.str("backup-dir", "ALMANAC_BACKUP_DIR", "", "existing, writable directory `DIR` for scheduled backups, best on another disk; empty: none", checkBackupDir)
	backupEvery := c.duration("backup-every", "ALMANAC_BACKUP_EVERY", 24*time.Hour, time.Minute, 366*24*time.Hour, "time between scheduled backups, a `DURATION` from 1m to 8784h")
	backupKeep := c.integer("backup-keep", "ALMANAC_BACKUP_KEEP", 7, 1, 100_000, "how many scheduled backups to keep, `N` from 1 to 100000; older ones are removed")
	trusted := value(c, "trusted-proxies", "ALMANAC_TRUSTED_PROXIES", "",
		"reverse proxies whose -proxy-header names the client, its scheme and host: comma-separated `CIDR`s or addresses, e.g. 127.0.0.1/32 (default none: the headers are ignored)",
		remote.ParseTrusted)
	proxyHeader := value(c, "proxy-header", "ALMANAC_PROXY_HEADER", "x-forwarded",
		"the `HEADERS` the trusted proxies set: x-forwarded (X-Forwarded-For, -Proto, -Host) or forwarded (RFC 7239); the other kind is ignored",
		remote.ParseHeader)
	tlsCert := c.str("tls-cert", "ALMANAC_TLS_CERT", "", "PEM `FILE` of the certificate chain to serve HTTPS with, with -tls-key; both are read again on SIGHUP (default: plain HTTP, for a TLS proxy in front)", nil)
	tlsKey := c.str("tls-key", "ALMANAC_TLS_KEY", "", "PEM `FILE` of the certificate's private key", nil)
	importHost := c.str("import-imap-host", "ALMANAC_IMPORT_IMAP_HOST", "", "`HOST` of the Dovecot IMAP server of the mailboxes, which mail imports write into as its master user; empty: no imports", parseIMAPHost)
	importPort := c.integer("import-imap-port", "ALMANAC_IMPORT_IMAP_PORT", 0, 0, 65535, "its IMAP `PORT` (0: 993 with tls, else 143)")
	importSecurity := c.str("import-imap-security", "ALMANAC_IMPORT_IMAP_SECURITY", "starttls", "its IMAP security `MODE`: starttls, tls or none", parseSMTPSecurity)
	importMaster := c.str("import-master-user", "ALMANAC_IMPORT_MASTER_USER", "almanac", "`NAME` of Dovecot's master user the imports log in as (mailbox*NAME)", parseMasterUser)
	importSecret := c.str("import-master-secret", "ALMANAC_IMPORT_MASTER_SECRET", "", "`FILE` holding the master user's password, created (random) when missing (with -db it must exist); keep it apart from the database (default DATA/import-master.secret)", checkFile)
	importKey := c.str("import-key", "ALMANAC_IMPORT_KEY", "", "`FILE` holding the key source passwords are sealed with while their import runs, created when missing (with -db it must exist) (default DATA/import.key)", checkFile)
	importWorkers := c.integer("import-workers", "ALMANAC_IMPORT_WORKERS", 4, 1, 64, "at most `N` imports copying at once, 1 to 64")
	importPerHost := c.integer("import-per-host", "ALMANAC_IMPORT_PER_HOST", 2, 1, 64, "at most `N` imports reading from one source IMAP server at once, 1 to 64")
	importAllowPrivate := c.boolean("import-allow-private", "ALMANAC_IMPORT_ALLOW_PRIVATE", false, "let imports fetch URLs and read IMAP mailboxes on private and local networks (loopback, LAN, link-local), which are refused by default: users must not probe the server's network")
	if err := c.parse(args, 0, 0); err != nil {
		return err
	}
	metricsToken, err := pickMetricsToken(*metricsTokenFile, os.Getenv("ALMANAC_METRICS_TOKEN"))
	if err != nil {
		return &usageError{cmd: "serve", msg: err.Error()}
	}
	if err := mailClients.check(); err != nil {
		return err
	}
	if err := dbSet.check(c); err != nil {
		return err
	}
	if *dbSet.url != "" && *backupDir != "" {
		return &usageError{cmd: "serve", msg: "-backup-dir (env ALMANAC_BACKUP_DIR) backs up the bbolt database; with -db, " + backupPostgres}
	}
	if *linkKey == "" {
		*linkKey = filepath.Join(*data, "link.key")
	}
	if *dbSet.url != "" {
		files := []sharedFile{{"-link-key", *linkKey, "head -c 32 /dev/urandom > FILE"}}
		if *importHost != "" {
			secret, key := importFiles(*data, *importSecret, *importKey)
			files = append(files, sharedFile{"-import-key", key, "head -c 32 /dev/urandom > FILE"},
				sharedFile{"-import-master-secret", secret, "the password of Dovecot's master user, one line"})
		}
		if err := checkShared(files); err != nil {
			return err
		}
	}
	if *backupDir == "" {
		for _, f := range []string{"backup-every", "backup-keep"} {
			if c.given(f) {
				return &usageError{cmd: "serve", msg: "-" + f + " needs -backup-dir (env ALMANAC_BACKUP_DIR)"}
			}
		}
	}
	if *mailReload != "" && *dovecotPasswd == "" && *postfixVirtual == "" {
		return &usageError{cmd: "serve", msg: "-mail-reload-cmd (env ALMANAC_MAIL_RELOAD_CMD) needs -dovecot-passwd or -postfix-virtual"}
	}
	var certs *certificate
	if (*tlsCert == "") != (*tlsKey == "") {
		return &usageError{cmd: "serve", msg: "-tls-cert and -tls-key (env ALMANAC_TLS_CERT, ALMANAC_TLS_KEY) go together"}
	}
	if *tlsCert != "" {
		if certs, err = loadCertificate(*tlsCert, *tlsKey); err != nil {
			return &usageError{cmd: "serve", msg: fmt.Sprintf("-tls-cert, -tls-key (env ALMANAC_TLS_CERT, ALMANAC_TLS_KEY): %v", err)}
		}
	}
	logger := newLogger(stderr, *logFormat, *level)
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
	var metricsLn net.Listener
	if *metricsListen != "" {
		if metricsLn, err = net.Listen("tcp", *metricsListen); err != nil {
			return fmt.Errorf("listen for metrics: %w", err)
		}
		defer metricsLn.Close()
	}

	db, err := openDatabase(*data, dbSet, openCreate)
	if err != nil {
		return err
	}
	defer db.Close()
	dbName := filepath.Join(*data, "almanac.db")
	if *dbSet.url != "" {
		dbName = redactDBURL(*dbSet.url)
		if err := markPostgres(*data, *dbSet.url); err != nil {
			return err
		}
	}

	keys, err := sharing.LoadKey(*linkKey)
	if err != nil {
		return err
	}

	imports, err := importConfig(*data, *importHost, *importPort, *importSecurity, *importMaster, *importSecret, *importKey)
	if err != nil {
		return err
	}
	imports.Workers, imports.PerHost, imports.AllowPrivate = *importWorkers, *importPerHost, *importAllowPrivate

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads the certificate; without one it is only logged, so
	// that a reload meant for it does not stop the server. It is caught
	// from here on, before the start is announced.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	if err := firstAccount(ctx, db, stdout); err != nil {
		return err
	}
	if err := provisionAll(ctx, db); err != nil {
		return err
	}
	// The database commands reach the server through its admin socket;
	// without one they wait for it to stop, as before, so a failure
	// here is no reason not to serve.
	stopAdmin, err := listenAdmin(*data, *linkKey, db, logger)
	if err != nil {
		logger.Warn("no admin socket: the user and mail commands need the server stopped", "err", err)
	} else {
		// Before the database closes (deferred above): commands in
		// progress finish, for at most 10 s, and cannot find it closed.
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			stopAdmin(sctx)
		}()
	}

	cfg := server.Config{Store: db, Logger: logger, MaxInstances: *maxInstances,
		ReportSlots: *reportSlots,
		LinkKeys:    keys, PublicURL: *publicURL, FeedTTL: *feedTTL, Mailer: mailer, Texter: outbox,
		DovecotPasswd: *dovecotPasswd, PostfixVirtual: *postfixVirtual, MailReloadCmd: *mailReload, SieveDir: *sieveDir, SyncRetention: *syncRetention,
		ClientSetup: mailClients.config(),
		Backup: server.BackupConfig{Dir: *backupDir, Every: *backupEvery, Keep: *backupKeep,
			Keys: []backup.KeyFile{{Kind: backup.KindLinkKey, Path: *linkKey}}},
		TrustedProxies: *trusted, ProxyHeader: *proxyHeader,
		ImportAllowPrivate: *importAllowPrivate, Imports: imports}
	if metricsLn == nil {
		cfg.MetricsToken = metricsToken
	}
	app := server.New(cfg)
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
	scheme := "http"
	if certs != nil {
		srv.TLSConfig = tlsConfig(certs)
		scheme = "https"
		certs.log(logger, time.Now())
	}
	bi := buildinfo.Read()
	logger.Info("almanac listening", "addr", ln.Addr().String(), "scheme", scheme, "data", *data, "database", dbName, "version", bi.Version, "revision", bi.Revision)
	if _, err := os.Stat(filepath.Join(*data, "almanac.db")); err == nil && *dbSet.url != "" {
		logger.Warn("the bbolt database in the data directory is not used: this server runs on PostgreSQL", "file", filepath.Join(*data, "almanac.db"))
	}
	if certs == nil && !isLoopback(ln.Addr()) {
		logger.Warn("serving plain HTTP on an address other machines can reach: passwords cross the network readable unless a TLS proxy in front is the only way in; give -tls-cert and -tls-key, or listen on 127.0.0.1 behind a proxy (docs/deploy.md)", "addr", ln.Addr().String())
	}
	if len(*trusted) > 0 {
		logger.Info("client addresses taken from trusted proxies", "proxies", *trusted, "header", proxyHeader.String())
	}
	errc := make(chan error, 2)
	go func() {
		if certs != nil {
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	servers := []*http.Server{srv}
	if metricsLn != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", app.MetricsHandler(metricsToken))
		msrv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: srv.ErrorLog}
		servers = append(servers, msrv)
		go func() { errc <- msrv.Serve(metricsLn) }()
		logger.Info("metrics listening", "addr", metricsLn.Addr().String(), "token", metricsToken != "")
		if metricsToken == "" && !isLoopback(metricsLn.Addr()) {
			logger.Warn("metrics are served without a token on a non-loopback address; anyone who reaches it reads them (set ALMANAC_METRICS_TOKEN or -metrics-token-file)",
				"addr", metricsLn.Addr().String())
		}
	}
wait:
	for {
		select {
		case err := <-errc:
			return err
		case <-hup:
			if certs == nil {
				logger.Info("SIGHUP: nothing to reload (no -tls-cert)")
				continue
			}
			if err := certs.reload(); err != nil {
				logger.Error("SIGHUP: keeping the certificate in use", "err", err)
				continue
			}
			certs.log(logger, time.Now())
		case <-ctx.Done():
			break wait
		}
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutdownCtx); err != nil {
			return fmt.Errorf("shutdown: %w", err)
		}
	}
	for range servers {
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	return nil
}

// newLogger is the server's logger in format ("text" or "json"), with the
// request id added to every line a request causes (server.LogHandler).
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if format == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(server.LogHandler(h))
}

// pickMetricsToken is the token /metrics requires: from the file of
// -metrics-token-file (already read) or from ALMANAC_METRICS_TOKEN, which
// keeps it out of the process list as ALMANAC_SMTP_PASSWORD does. Both at
// once is a mistake, as the two could differ. The token itself is never
// part of a message.
func pickMetricsToken(fromFile, fromEnv string) (string, error) {
	switch {
	case fromFile != "" && fromEnv != "":
		return "", errors.New("the metrics token is in both ALMANAC_METRICS_TOKEN and -metrics-token-file (env ALMANAC_METRICS_TOKEN_FILE); give one")
	case fromEnv != "":
		if err := server.CheckMetricsToken(fromEnv); err != nil {
			return "", fmt.Errorf("ALMANAC_METRICS_TOKEN: the token %v", err)
		}
		return fromEnv, nil
	}
	return fromFile, nil
}

// isLoopback reports whether addr is on a loopback interface.
func isLoopback(addr net.Addr) bool {
	a, ok := addr.(*net.TCPAddr)
	return ok && a.IP.IsLoopback()
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
// the database has none, so a fresh install can be used at once. It is
// a server admin: someone must be able to manage accounts over the API.
func firstAccount(ctx context.Context, store storage.Store, stdout io.Writer) error {
	accs, err := store.ListAccounts(ctx)
	if err != nil {
		return err
	}
	if len(accs) > 0 {
		return nil
	}
	pw := auth.GeneratePassword()
	acc, err := newAdmin(store, nil).CreateAccount(ctx,
		admin.NewAccount{Login: firstLogin, Password: pw, Admin: true})
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == "exists" {
		// Another server on the same database made it meanwhile and
		// printed its password.
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created the first account.\n  login:    %s\n  password: %s\nThis password is shown once. Change it with: almanac user passwd %s\n", acc.Login, pw, acc.Login)
	return nil
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

// importFiles are the import master secret and key files, DATA's by
// default.
func importFiles(data, secretFile, keyFile string) (string, string) {
	if secretFile == "" {
		secretFile = filepath.Join(data, "import-master.secret")
	}
	if keyFile == "" {
		keyFile = filepath.Join(data, "import.key")
	}
	return secretFile, keyFile
}

// importConfig reads the keys of the mail imports: none without a
// destination host, as imports are then off.
func importConfig(data, host string, port int, security, master, secretFile, keyFile string) (mailimport.Config, error) {
	if host == "" {
		return mailimport.Config{}, nil
	}
	if port == 0 {
		port = 143
		if security == "tls" {
			port = 993
		}
	}
	secretFile, keyFile = importFiles(data, secretFile, keyFile)
	secret, err := mailimport.LoadMasterSecret(secretFile)
	if err != nil {
		return mailimport.Config{}, err
	}
	key, err := mailimport.LoadKey(keyFile)
	if err != nil {
		return mailimport.Config{}, err
	}
	return mailimport.Config{Destination: mailimport.Endpoint{Host: host, Port: port, Security: security},
		MasterUser: master, MasterSecret: secret, Key: key}, nil
}
