package mailimport

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"almanac/storage"
	"almanac/storage/bolt"
)

// hub is storage.Signals in one process: what PostgreSQL's NOTIFY is
// for servers on one database.
type hub struct {
	mu  sync.Mutex
	fns []func()
}

func (h *hub) Signal(_ context.Context, topic string) error {
	h.mu.Lock()
	fns := slices.Clone(h.fns)
	h.mu.Unlock()
	if topic == signalTopic {
		for _, fn := range fns {
			fn()
		}
	}
	return nil
}

func (h *hub) listeners() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.fns)
}

func (h *hub) Listen(ctx context.Context, topic string, fn func()) {
	if topic != signalTopic {
		return
	}
	h.mu.Lock()
	h.fns = append(h.fns, fn)
	h.mu.Unlock()
	fn()
	<-ctx.Done()
}

// A job asked for through a server that does not run the jobs (another
// one holds storage.Exclusive) is run by the one that does, told by a
// signal rather than at its next start.
func TestJobFromAnotherServer(t *testing.T) {
	src := newMemIMAP(t)
	src.user(t, srcUser, srcPassword)
	put(t, imapClient(t, src.addr, srcUser, srcPassword), []testMsg{{folder: "INBOX", body: message("m1@x", "first"), date: day}})
	dst := newMemIMAP(t)
	dst.user(t, destAddress+"*"+master, masterPW)

	db, err := bolt.Open(filepath.Join(t.TempDir(), "almanac.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acc := &storage.Account{Login: "owner@example.org", PasswordHash: "x"}
	if err := db.CreateAccount(t.Context(), acc); err != nil {
		t.Fatal(err)
	}
	// Both servers have the same configuration, the import key included.
	cfg := Config{Destination: dst.endpoint(), MasterUser: master, MasterSecret: masterPW, AllowPrivate: true, Key: make([]byte, KeySize)}
	rand.Read(cfg.Key)
	h := &hub{}
	runner, err := New(db, cfg, Options{Signals: h})
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(db, cfg, Options{Signals: h})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runner.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	// The runner has read the unfinished jobs (none) once it listens.
	for h.listeners() == 0 {
		time.Sleep(time.Millisecond)
	}

	j := &storage.ImportJob{Owner: acc.ID, Service: "svc", LocalPart: "me", Destination: destAddress,
		Sources: []storage.ImportSource{{Address: srcUser, Host: src.endpoint().Host, Port: src.endpoint().Port, Security: src.endpoint().Security}}}
	if err := other.start(t.Context(), j, []string{srcPassword}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := db.ImportJob(t.Context(), j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == storage.ImportDone {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job was not run: %s %+v", got.State, got.Sources)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(contents(t, imapClient(t, dst.addr, destAddress+"*"+master, masterPW))["INBOX"]); n != 1 {
		t.Errorf("%d messages copied into INBOX, want 1", n)
	}
}
