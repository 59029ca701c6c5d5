package postgres

import (
	"context"
	"strings"
	"testing"

	"almanac/storage"
)

// Check reports what the methods would never write, each in words
// naming the record: a counter behind Pruned, a member without its
// change record, a wrong size, a mount that is also a collection name
// and an ended job still holding a password.
func TestCheck_FindsDamage(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	defer s.Close()
	for _, id := range []string{"jane", "bob"} {
		if err := s.CreateAccount(ctx, &storage.Account{ID: id, Login: id + "@example.org"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []storage.Collection{{Owner: "jane", Name: "cal", Kind: storage.KindCalendar}, {Owner: "bob", Name: "own", Kind: storage.KindCalendar}} {
		if err := s.CreateCollection(ctx, &c); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"a.ics", "b.ics"} {
		if _, _, err := s.Put(ctx, storage.PutObject{Owner: "jane", Collection: "cal", Name: n, Data: []byte(n)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutGrant(ctx, &storage.Grant{Owner: "jane", Collection: "cal", Sharee: "bob", Access: storage.AccessRead, Mount: "janes"}); err != nil {
		t.Fatal(err)
	}
	if problems, _ := collect(t, s); len(problems) != 0 {
		t.Fatalf("undamaged store: %v", problems)
	}
	for _, sql := range []string{
		`UPDATE collections SET pruned = seq + 5 WHERE name = 'cal'`,
		`DELETE FROM changes WHERE name = 'a.ics'`,
		`UPDATE objects SET size = size + 1 WHERE name = 'b.ics'`,
		`UPDATE collections SET name = 'janes' WHERE owner = 'bob'`,
	} {
		if _, err := s.pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	problems, st := collect(t, s)
	text := ""
	for _, p := range problems {
		text += p.String() + "\n"
	}
	for _, want := range []string{
		"collection jane/cal: pruned 7 is past the counter 2",
		"object jane/cal/a.ics: no change record",
		"object jane/cal/b.ics: size 6 but 5 bytes stored",
		"grant jane/cal to bob: its mount 'janes' is also a collection of bob",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems lack %q:\n%s", want, text)
		}
	}
	if st.Accounts != 2 || st.Collections != 2 || st.Objects != 2 || st.Grants != 1 {
		t.Errorf("stats %+v", st)
	}
}

func collect(t *testing.T, s *Store) ([]storage.Problem, storage.CheckStats) {
	t.Helper()
	var problems []storage.Problem
	st, err := s.Check(context.Background(), func(p storage.Problem) { problems = append(problems, p) })
	if err != nil {
		t.Fatal(err)
	}
	return problems, st
}
