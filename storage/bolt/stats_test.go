package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"almanac/storage"
)

// TestStatsCounts: Stats counts accounts, collections, live objects (not
// tombstones) and links exactly.
func TestStatsCounts(t *testing.T) {
	db, path := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	var owners []string
	for _, login := range []string{"a@example.org", "b@example.org", "c@example.org"} {
		acc := &storage.Account{Login: login}
		if err := db.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		owners = append(owners, acc.ID)
	}
	for _, c := range []storage.Collection{
		{Owner: owners[0], Name: "cal", Kind: storage.KindCalendar},
		{Owner: owners[0], Name: "book", Kind: storage.KindAddressBook},
		{Owner: owners[1], Name: "cal", Kind: storage.KindCalendar},
	} {
		if err := db.CreateCollection(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	put := func(owner string, i int) {
		uid := fmt.Sprintf("uid-%d", i)
		if _, _, err := db.Put(ctx, storage.PutObject{Owner: owner, Collection: "cal", Name: uid + ".ics", UID: uid,
			Component: "VEVENT", ContentType: "text/calendar", Data: payload(uid, i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		put(owners[0], i)
	}
	put(owners[1], 9)
	if err := db.Delete(ctx, owners[0], "cal", "uid-0.ics", nil); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateLink(ctx, &storage.Link{ID: "link1", Owner: owners[0], Collection: "cal", Tier: "full"}); err != nil {
		t.Fatal(err)
	}

	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes <= 0 || st.Bytes > fi.Size() || st.FreeBytes < 0 || st.FreeBytes > st.Bytes {
		t.Errorf("bytes %d, free %d; the file has %d", st.Bytes, st.FreeBytes, fi.Size())
	}
	st.Bytes, st.FreeBytes = 0, 0
	want := storage.Stats{Accounts: 3, Collections: 3, Objects: 5, Links: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Stats(cancelled); err == nil {
		t.Error("Stats with a cancelled context succeeded")
	}
}

// commitLog records what an observer is told.
type commitLog struct {
	mu     sync.Mutex
	writes []int
}

func (l *commitLog) Committed(writes int, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if d < 0 {
		writes = -writes // a negative duration would be a bug; make it show
	}
	l.writes = append(l.writes, writes)
}

func (l *commitLog) take() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.writes
	l.writes = nil
	return w
}

// TestObserveCommits: the observer hears of every committed write
// transaction with its number of writes (a group commit's several), and
// not of transactions that roll back.
func TestObserveCommits(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	ctx := t.Context()
	log := &commitLog{}
	db.ObserveCommits(log)

	acc := &storage.Account{Login: "a@example.org"}
	if err := db.CreateAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateAccount(ctx, &storage.Account{Login: "A@example.org"}); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("duplicate login: %v", err)
	}
	if err := db.CreateCollection(ctx, &storage.Collection{Owner: acc.ID, Name: "cal", Kind: storage.KindCalendar}); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("account, refused account, collection: observed %v, want [1 1]", got)
	}

	// A group: one write holds the transaction while five queue behind it.
	release, started := make(chan struct{}), make(chan struct{})
	first := make(chan error, 1)
	go func() {
		first <- db.write(func(*bbolt.Tx) error {
			select {
			case <-started:
			default:
				close(started)
			}
			<-release
			return nil
		})
	}()
	<-started
	const n = 5
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- db.write(func(tx *bbolt.Tx) error {
				c, err := loadColl(tx, acc.ID, "cal")
				if err != nil {
					return err
				}
				uid := fmt.Sprint("g", i)
				data := payload(uid, i)
				m := &storage.ObjectMeta{Name: uid + ".ics", UID: uid, Component: "VEVENT", ContentType: "text/calendar",
					ETag: storage.ETagOf(data), Size: int64(len(data))}
				if err := c.put(m, data, nil, time.Now()); err != nil {
					return err
				}
				return c.save()
			})
		}()
	}
	waitQueued(t, db.commit, n)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := log.take(); !slices.Equal(got, []int{1, n}) {
		t.Fatalf("blocker and group: observed %v, want [1 %d]", got, n)
	}

	db.ObserveCommits(nil)
	if err := db.CreateLink(ctx, &storage.Link{ID: "l", Owner: acc.ID, Collection: "cal", Tier: "full"}); err != nil {
		t.Fatal(err)
	}
	if got := log.take(); len(got) != 0 {
		t.Fatalf("observed %v after ObserveCommits(nil)", got)
	}
}

// BenchmarkStats10kObjects is what a metrics scrape costs the store.
func BenchmarkStats10kObjects(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	for b.Loop() {
		st, err := e.db.Stats(b.Context())
		if err != nil || st.Objects != 10_000 {
			b.Fatalf("%+v %v", st, err)
		}
	}
}
