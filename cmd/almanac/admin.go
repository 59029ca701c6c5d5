package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"almanac/admin"
	"almanac/internal/adminsock"
	"almanac/server"
	"almanac/storage"
	"almanac/storage/postgres"
)

// A dbCommand works on the database: `user add`, `mail export`, ... It
// runs in the CLI process on the database the CLI opens, or, when a
// running server holds the database, inside the server on the CLI's
// behalf through the admin socket in the data directory. Either way the
// same run function gets the same arguments and writes to the same
// streams, and one function (report) turns its error into the message
// and exit status, so that the output is the same byte for byte.
//
// Adding a command is one entry in dbCommands (and its line in
// commands): it gets both ways of running at once.
type dbCommand struct {
	name             string // as in commands, "user add"
	minArgs, maxArgs int    // positional arguments
	open             openMode
	// define declares the command's flags on c (every one through c's
	// setting helpers, so that the server re-reads them from the
	// canonical arguments) and returns what runs it once c is parsed.
	define func(c *cmdline) dbJob
	// offline, when set, runs the command without a server instead of
	// opening the database for run (check reads the file itself).
	offline func(data string, stdout io.Writer) error
	// notPostgres, when set, is why the command has no PostgreSQL form
	// and what to use instead: it refuses -db, and a server on
	// PostgreSQL refuses it.
	notPostgres string
}

// openMode is how the CLI opens the database itself.
type openMode int

const (
	openWrite  openMode = iota // an existing database
	openRead                   // an existing database, read-only
	openCreate                 // the database, created when missing (user add)
)

// dbJob is one parsed command.
type dbJob struct {
	// prepare runs in the CLI process only, before anything is opened
	// or asked: it checks what it can and reads what only the user at
	// the terminal can give (a password, prompted for without echo).
	// What it returns is run's standard input, so that a password
	// travels over the socket and never in the arguments. nil: run
	// reads nothing.
	prepare func(stdin io.Reader, stderr io.Writer) ([]byte, error)
	// run does the work, in the CLI or in the server.
	run func(ctx context.Context, x *dbEnv) error
}

// dbEnv is what a command runs with.
type dbEnv struct {
	store          storage.Store
	admin          *admin.Service
	stdin          io.Reader
	stdout, stderr io.Writer
	// linkKey is the link key file of the database: the running
	// server's, or DATA/link.key.
	linkKey string
}

func newDBEnv(store storage.Store, linkKey string, stdin io.Reader, stdout, stderr io.Writer, logger *slog.Logger) *dbEnv {
	return &dbEnv{store: store, admin: newAdmin(store, logger), stdin: stdin, stdout: stdout, stderr: stderr, linkKey: linkKey}
}

// newAdmin is account administration on store, provisioning accounts as
// the server does.
func newAdmin(store storage.Store, logger *slog.Logger) *admin.Service {
	return admin.New(store, admin.Options{Logger: logger,
		Provision: func(ctx context.Context, acc *storage.Account) error { return server.Provision(ctx, store, acc) }})
}

// dbCommands are the commands that work on the database, by name.
var dbCommands = map[string]*dbCommand{}

func init() {
	for _, list := range [][]*dbCommand{userCommands, mailCommands, imipCommands, maintenanceCommands, setupCommands} {
		for _, c := range list {
			dbCommands[c.name] = c
		}
	}
}

// socketName is the admin socket's name in the data directory.
const socketName = "admin.sock"

// runDB runs cmd with args as the command line gave them.
func runDB(cmd *dbCommand, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := newCmdline(cmd.name, stdout)
	data := c.dataDir()
	db := c.dbFlag()
	job := cmd.define(c)
	if err := c.parse(args, cmd.minArgs, cmd.maxArgs); err != nil {
		return err
	}
	if *db.url != "" && cmd.notPostgres != "" {
		return &usageError{cmd: cmd.name, msg: cmd.notPostgres}
	}
	var in []byte
	if job.prepare != nil {
		var err error
		if in, err = job.prepare(stdin, stderr); err != nil {
			return err
		}
	}
	ctx := context.Background()
	if *db.url != "" {
		// PostgreSQL takes this process beside the servers: no need to
		// ask one of them.
		store, err := openDatabase(*data, db, cmd.open)
		if err != nil {
			return err
		}
		defer store.Close()
		return job.run(ctx, newDBEnv(store, filepath.Join(*data, "link.key"), bytes.NewReader(in), stdout, stderr, nil))
	}
	// A running server answers first: asking costs nothing, while the
	// database it holds would make an open wait for its lock.
	sock := filepath.Join(*data, socketName)
	// -data only says where the server is; the server runs on its own
	// database (-db is never given here).
	req := adminsock.Request{Command: cmd.name, Args: c.canonical("data", "db")}
	call := func() error {
		status, err := adminsock.Call(ctx, sock, req, bytes.NewReader(in), stdout, stderr)
		if err != nil {
			return err
		}
		// The server printed any message already.
		return exitStatus(status)
	}
	if err := call(); !errors.Is(err, adminsock.ErrNoServer) {
		return err
	}
	if err := notOnPostgres(*data); err != nil {
		return err
	}
	if cmd.offline != nil {
		err := cmd.offline(*data, stdout)
		if errors.Is(err, storage.ErrLocked) {
			// A server that started meanwhile has its socket up by now.
			if err := call(); !errors.Is(err, adminsock.ErrNoServer) {
				return err
			}
		}
		return err
	}
	store, err := openDatabase(*data, db, cmd.open)
	if errors.Is(err, storage.ErrLocked) {
		// A server that started meanwhile has its socket up by now.
		if err := call(); !errors.Is(err, adminsock.ErrNoServer) {
			return err
		}
		return fmt.Errorf("database %s is in use by another almanac process, and no server answers on %s (a command still running, or a server that could not open its admin socket: see its log)",
			filepath.Join(*data, "almanac.db"), sock)
	}
	if err != nil {
		return err
	}
	defer store.Close()
	return job.run(ctx, newDBEnv(store, filepath.Join(*data, "link.key"), bytes.NewReader(in), stdout, stderr, nil))
}

// exitStatus is a status whose message, if any, is printed already.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// socketHandler runs database commands inside the server, on store, for
// clients of the admin socket.
func socketHandler(store storage.Store, linkKey string, logger *slog.Logger) adminsock.Handler {
	return func(ctx context.Context, req adminsock.Request, stdin io.Reader, stdout, stderr io.Writer) int {
		return report(runRemote(ctx, store, linkKey, logger, req, stdin, stdout, stderr), stderr)
	}
}

func runRemote(ctx context.Context, store storage.Store, linkKey string, logger *slog.Logger, req adminsock.Request, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := dbCommands[req.Command]
	if cmd == nil {
		// A newer command line than this server.
		return &usageError{msg: fmt.Sprintf("the running server does not know the command %q: upgrade it, or stop it and run the command again", req.Command)}
	}
	c := newCmdline(cmd.name, stdout)
	c.getenv = func(string) string { return "" }
	job := cmd.define(c)
	if err := c.parse(req.Args, cmd.minArgs, cmd.maxArgs); err != nil {
		return err
	}
	if _, ok := store.(*postgres.Store); ok && cmd.notPostgres != "" {
		return &usageError{cmd: cmd.name, msg: "the server runs on PostgreSQL: " + cmd.notPostgres}
	}
	return job.run(ctx, newDBEnv(store, linkKey, stdin, stdout, stderr, logger))
}

// listenAdmin starts the admin socket in dataDir for the server's store
// and link key file; stop shuts it down, letting commands in progress
// finish until ctx ends.
func listenAdmin(dataDir, linkKey string, store storage.Store, logger *slog.Logger) (stop func(ctx context.Context), err error) {
	s, err := adminsock.Listen(filepath.Join(dataDir, socketName), socketHandler(store, linkKey, logger), adminsock.Options{Logger: logger})
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Serve(); err != nil {
			logger.Error("admin socket stopped", "err", err)
		}
	}()
	return func(ctx context.Context) {
		if err := s.Shutdown(ctx); err != nil {
			logger.Warn("admin socket shutdown", "err", err)
		}
		<-done
	}, nil
}
