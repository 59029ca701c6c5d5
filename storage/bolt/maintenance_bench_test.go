package bolt

import (
	"io"
	"testing"

	"almanac/storage"
)

// BenchmarkSnapshot10k copies a database of 10,000 objects (about 30
// MB): the cost of the database part of a backup.
func BenchmarkSnapshot10k(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	for b.Loop() {
		s, err := e.db.Snapshot(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		n, err := s.WriteTo(io.Discard)
		s.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(n)
	}
}

// BenchmarkCheck10k checks a database of 10,000 objects as the server
// does: through a copy beside it.
func BenchmarkCheck10k(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	for b.Loop() {
		problems := 0
		st, err := e.db.Check(b.Context(), func(storage.Problem) { problems++ })
		if err != nil || problems > 0 || st.Objects != 10_000 {
			b.Fatalf("%+v %d problems, %v", st, problems, err)
		}
	}
}

// BenchmarkPutDuringSnapshot is BenchmarkPut with a snapshot open all the
// while, as during a backup: writes must cost the same, however far the
// file grows.
func BenchmarkPutDuringSnapshot(b *testing.B) {
	e := openBench(b)
	e.fill(b, 10_000)
	s, err := e.db.Snapshot(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.SetBytes(int64(len(payload("00000000-bench", 0))))
	i := 10_000
	for b.Loop() {
		e.put(b, i)
		i++
	}
}
