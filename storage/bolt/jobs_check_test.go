package bolt

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"almanac/storage"
	"almanac/storage/internal/records"
	"almanac/storage/storagetest"

	"go.etcd.io/bbolt"
)

// TestCheckImportJobs breaks the import jobs of a populated database one
// way at a time and wants Check to name it; the populated file itself
// checks clean (TestCheck in check_test.go covers that for every record).
func TestCheckImportJobs(t *testing.T) {
	db, path := openTemp(t)
	p := storagetest.Populate(t, db)
	jobs, err := db.ImportJobsOf(t.Context(), p.Jane)
	if err != nil {
		t.Fatal(err)
	}
	var running, ended string
	for _, j := range jobs {
		if storage.ImportEnded(j.State) {
			ended = j.ID
		} else {
			running = j.ID
		}
	}
	if running == "" || ended == "" {
		t.Fatalf("Populate made no running and ended import job: %+v", jobs)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := checkFile(t, path); len(got) != 0 {
		t.Fatalf("the populated file has problems:\n%s", strings.Join(got, "\n"))
	}
	edit := func(id string, change func(r *records.ImportJob)) func(tx *bbolt.Tx) error {
		return func(tx *bbolt.Tx) error {
			r, err := getImportJob(tx, id)
			if err != nil {
				return err
			}
			change(r)
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			return tx.Bucket(bucketImportJobs).Put([]byte(id), v)
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(tx *bbolt.Tx) error
		want   string
	}{
		{"an ended job keeps a password", edit(ended, func(r *records.ImportJob) { r.Sources[1].Secret = []byte("x") }),
			`import job "` + ended + `": it has ended but still holds the password of source 2 (b@example.org)`},
		{"job missing from its index", func(tx *bbolt.Tx) error {
			return tx.Bucket(bucketAccountImportJobs).Bucket([]byte(p.Jane)).Delete([]byte(running))
		}, `import job "` + running + `": is not in the import job index of account "jane"`},
		{"index entry without its job", func(tx *bbolt.Tx) error { return tx.Bucket(bucketImportJobs).Delete([]byte(running)) },
			`import job index of account "jane": lists job "` + running + `", which does not exist`},
		{"job of a missing account", edit(running, func(r *records.ImportJob) { r.Owner = "ghost" }),
			`import job "` + running + `": its owner "ghost" does not exist`},
		{"unknown state", edit(running, func(r *records.ImportJob) { r.State = "paused" }),
			`import job "` + running + `": unknown state "paused"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "almanac.db")
			if err := os.WriteFile(path, good, 0o600); err != nil {
				t.Fatal(err)
			}
			bdb, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := bdb.Update(tc.damage); err != nil {
				t.Fatal(err)
			}
			if err := bdb.Close(); err != nil {
				t.Fatal(err)
			}
			got := checkFile(t, path)
			if !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Errorf("no problem %q among:\n%s", tc.want, strings.Join(got, "\n"))
			}
		})
	}
}
