package storagetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"almanac/storage"
)

var jobTests = []test{
	{"RoundTrip", testImportJobRoundTrip},
	{"CreateErrors", testImportJobCreateErrors},
	{"Listing", testImportJobListing},
	{"Update", testImportJobUpdate},
	{"DeleteAccountCascades", testImportJobDeleteAccount},
}

// newImportJob is a job of owner with two sources, the first with
// progress in two folders.
func newImportJob(owner string) *storage.ImportJob {
	return &storage.ImportJob{
		Owner: owner, Service: "svc", LocalPart: "Info", Destination: "Info@domain.xyz",
		State: storage.ImportQueued,
		Sources: []storage.ImportSource{
			{Address: "a@example.org", Host: "imap.example.org", Port: 993, Security: "tls",
				Secret: []byte{0, 1, 2, 255}, State: storage.ImportRunning, Attempts: 2,
				RetryAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), Error: "the server did not answer",
				Folders: []storage.ImportFolder{
					{Name: "INBOX", Destination: "INBOX", Found: 10, Copied: 7, Skipped: 2, Failed: 1, Bytes: 12345,
						UIDValidity: 42, LastUID: 9, DestUIDValidity: 7, DestUIDNext: 100, Done: true,
						Errors: []string{"message 3 is too large"}},
					{Name: "[Gmail]/Sent Mail", Destination: "Sent", SpecialUse: `\Sent`},
				}},
			{Address: "b@example.org", Host: "imap.example.org", Port: 143, Security: "starttls",
				Secret: []byte("sealed"), State: storage.ImportQueued},
		},
	}
}

func testImportJobRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	before := time.Now()
	j := newImportJob(a.ID)
	ok(t, s.CreateImportJob(ctx, j))
	if j.ID == "" {
		t.Fatal("CreateImportJob left ID empty")
	}
	notBefore(t, "Created", j.Created, before)
	notBefore(t, "Updated", j.Updated, before)
	got, err := s.ImportJob(ctx, j.ID)
	ok(t, err)
	want := newImportJob(a.ID)
	want.ID, want.Created, want.Updated = j.ID, got.Created, got.Updated
	if !got.Created.Equal(j.Created) {
		t.Errorf("Created = %v, want %v", got.Created, j.Created)
	}
	if !got.Sources[0].RetryAt.Equal(want.Sources[0].RetryAt) {
		t.Errorf("RetryAt = %v, want %v", got.Sources[0].RetryAt, want.Sources[0].RetryAt)
	}
	got.Sources[0].RetryAt = want.Sources[0].RetryAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n%+v\nwant\n%+v", got, want)
	}
	// What the caller holds is not shared with the store.
	j.Sources[0].Secret[0] = 9
	got, err = s.ImportJob(ctx, j.ID)
	ok(t, err)
	if got.Sources[0].Secret[0] != 0 {
		t.Error("changing the caller's secret changed the stored one")
	}
	_, err = s.ImportJob(ctx, "nope")
	wantErr(t, err, storage.ErrNotFound)
}

func testImportJobCreateErrors(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	wantErr(t, s.CreateImportJob(ctx, newImportJob("nobody")), storage.ErrNotFound)
	j := newImportJob(a.ID)
	j.ID = "fixed"
	ok(t, s.CreateImportJob(ctx, j))
	again := newImportJob(a.ID)
	again.ID = "fixed"
	wantErr(t, s.CreateImportJob(ctx, again), storage.ErrExists)
	jobs, err := s.ImportJobsOf(ctx, a.ID)
	ok(t, err)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after a refused create, want 1", len(jobs))
	}
}

func jobIDs(jobs []storage.ImportJob) []string {
	out := []string{}
	for _, j := range jobs {
		out = append(out, j.ID)
	}
	return out
}

func testImportJobListing(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mk := func(owner, id, state string, created time.Time) {
		t.Helper()
		j := newImportJob(owner)
		j.ID, j.State, j.Created = id, state, created
		if storage.ImportEnded(state) {
			for i := range j.Sources {
				j.Sources[i].Secret = nil
			}
		}
		ok(t, s.CreateImportJob(ctx, j))
	}
	mk(a.ID, "j3", storage.ImportDone, base.Add(2*time.Hour))
	mk(a.ID, "j1", storage.ImportRunning, base)
	mk(b.ID, "j2", storage.ImportQueued, base.Add(time.Hour))
	mk(a.ID, "j0", storage.ImportCancelled, base)
	mk(b.ID, "j4", storage.ImportFailed, base)
	mk(b.ID, "j5", storage.ImportPartial, base)

	jobs, err := s.ImportJobsOf(ctx, a.ID)
	ok(t, err)
	if got, want := jobIDs(jobs), []string{"j0", "j1", "j3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ImportJobsOf(alice) = %v, want %v", got, want)
	}
	jobs, err = s.ImportJobsOf(ctx, "nobody")
	ok(t, err)
	if jobs == nil || len(jobs) != 0 {
		t.Errorf("ImportJobsOf(unknown) = %#v, want empty", jobs)
	}
	jobs, err = s.UnfinishedImportJobs(ctx)
	ok(t, err)
	if got, want := jobIDs(jobs), []string{"j1", "j2"}; !reflect.DeepEqual(got, want) {
		t.Errorf("UnfinishedImportJobs = %v, want %v", got, want)
	}
}

func testImportJobUpdate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	j := newImportJob(a.ID)
	ok(t, s.CreateImportJob(ctx, j))
	got, err := s.UpdateImportJob(ctx, j.ID, func(j *storage.ImportJob) error {
		j.State = storage.ImportDone
		j.Finished = time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
		j.Sources[0].Secret = nil
		j.Sources[0].Folders[1].Copied = 5
		j.Sources[1].Folders = append(j.Sources[1].Folders, storage.ImportFolder{Name: "Work", Destination: "Work"})
		// Not the caller's to change.
		j.ID, j.Owner, j.Created = "other", "other", time.Time{}
		return nil
	})
	ok(t, err)
	if got.ID != j.ID || got.Owner != a.ID || !got.Created.Equal(j.Created) {
		t.Errorf("UpdateImportJob changed ID, Owner or Created: %q %q %v", got.ID, got.Owner, got.Created)
	}
	notBefore(t, "Updated", got.Updated, j.Updated)
	read, err := s.ImportJob(ctx, j.ID)
	ok(t, err)
	if read.State != storage.ImportDone || read.Sources[0].Secret != nil || read.Sources[0].Folders[1].Copied != 5 ||
		len(read.Sources[1].Folders) != 1 || !read.Finished.Equal(got.Finished) {
		t.Errorf("update not stored: %+v", read)
	}
	jobs, err := s.UnfinishedImportJobs(ctx)
	ok(t, err)
	if len(jobs) != 0 {
		t.Errorf("a done job is still unfinished: %v", jobIDs(jobs))
	}

	boom := errors.New("boom")
	_, err = s.UpdateImportJob(ctx, j.ID, func(j *storage.ImportJob) error {
		j.State = storage.ImportFailed
		return boom
	})
	wantErr(t, err, boom)
	read, err = s.ImportJob(ctx, j.ID)
	ok(t, err)
	if read.State != storage.ImportDone {
		t.Errorf("a failed update changed the state to %q", read.State)
	}
	_, err = s.UpdateImportJob(ctx, "nope", func(*storage.ImportJob) error { return nil })
	wantErr(t, err, storage.ErrNotFound)
}

func testImportJobDeleteAccount(t *testing.T, s storage.Store) {
	ctx := t.Context()
	a := newAccount(t, s, "alice@example.org")
	b := newAccount(t, s, "bob@example.org")
	ja, jb := newImportJob(a.ID), newImportJob(b.ID)
	ok(t, s.CreateImportJob(ctx, ja))
	ok(t, s.CreateImportJob(ctx, jb))
	ok(t, s.DeleteAccount(ctx, a.ID))
	_, err := s.ImportJob(ctx, ja.ID)
	wantErr(t, err, storage.ErrNotFound)
	if _, err := s.ImportJob(ctx, jb.ID); err != nil {
		t.Fatalf("another account's job: %v", err)
	}
	jobs, err := s.UnfinishedImportJobs(ctx)
	ok(t, err)
	if got := jobIDs(jobs); !reflect.DeepEqual(got, []string{jb.ID}) {
		t.Errorf("UnfinishedImportJobs after deleting alice = %v, want [%s]", got, jb.ID)
	}
}
