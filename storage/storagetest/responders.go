package storagetest

import (
	"slices"
	"testing"
	"time"

	"almanac/storage"
)

var responderTests = []test{
	{"RoundTrip", testResponderRoundTrip},
	{"OneActive", testResponderOneActive},
	{"BatchAllOrNothing", testResponderBatch},
	{"UpdateResetDelete", testResponderUpdateResetDelete},
	{"Cascades", testResponderCascades},
	{"Templates", testResponderTemplates},
	{"SendingAddresses", testSendingAddresses},
}

func newResponder(service, local, name string, active bool) storage.Responder {
	return storage.Responder{Service: service, LocalPart: local, Active: active,
		ResponderSettings: storage.ResponderSettings{Name: name, Text: "Away.", TimeZone: "Europe/Paris"}}
}

func createResponder(t *testing.T, s storage.Store, r storage.Responder) storage.Responder {
	t.Helper()
	rs := []storage.Responder{r}
	ok(t, s.CreateResponders(t.Context(), rs, -1))
	return rs[0]
}

// activeIDs lists the IDs of the mailbox's active responders.
func activeIDs(t *testing.T, s storage.Store, service, local string) []string {
	t.Helper()
	rs, err := s.Responders(t.Context(), service, local)
	ok(t, err)
	var out []string
	for _, r := range rs {
		if r.Active {
			out = append(out, r.ID)
		}
	}
	return out
}

func testResponderRoundTrip(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	f.mailbox(t, "Anna")
	in := storage.Responder{Service: f.service.ID, LocalPart: "anna", ResponderSettings: storage.ResponderSettings{
		Name: "Holidays", Subject: "Away", Text: "Back soon.\r\n", HTML: "<p>Back soon.</p>", TimeZone: "Europe/Paris",
		Start: "2026-07-01T00:00:00", End: "2026-07-15T00:00:00",
		Weekdays: []time.Weekday{time.Sunday, time.Saturday, time.Sunday}, From: "anna@domain.xyz",
		Exclusions: []string{"boss@domain.xyz", "@partner.xyz"},
	}}
	got := createResponder(t, s, in)
	if got.ID == "" || got.Handle == "" || got.Created.IsZero() || got.Updated.IsZero() {
		t.Fatalf("CreateResponders left ID %q, Handle %q, Created %v, Updated %v", got.ID, got.Handle, got.Created, got.Updated)
	}
	if got.LocalPart != "Anna" {
		t.Errorf("LocalPart = %q, want the mailbox's own spelling Anna", got.LocalPart)
	}
	if !slices.Equal(got.Weekdays, []time.Weekday{time.Sunday, time.Saturday}) {
		t.Errorf("Weekdays = %v, want sorted without duplicates", got.Weekdays)
	}
	read, err := s.Responder(ctx, f.service.ID, "ANNA", got.ID)
	ok(t, err)
	in.Weekdays = []time.Weekday{time.Sunday, time.Saturday}
	if read.Name != in.Name || read.Subject != in.Subject || read.Text != in.Text || read.HTML != in.HTML ||
		read.TimeZone != in.TimeZone || read.Start != in.Start || read.End != in.End || read.From != in.From ||
		!slices.Equal(read.Weekdays, in.Weekdays) || !slices.Equal(read.Exclusions, in.Exclusions) ||
		read.Handle != got.Handle || read.Active {
		t.Errorf("read back %+v, want %+v", read, in)
	}
	plain := createResponder(t, s, newResponder(f.service.ID, "anna", "Plain", false))
	if plain.Weekdays != nil || plain.Exclusions != nil {
		t.Errorf("empty lists read back as %v, %v, want nil", plain.Weekdays, plain.Exclusions)
	}
	if plain.Handle == got.Handle {
		t.Error("two responders got the same handle")
	}
	list, err := s.Responders(ctx, f.service.ID, "anna")
	ok(t, err)
	if len(list) != 2 || list[0].ID != got.ID || list[1].ID != plain.ID {
		t.Errorf("Responders = %v, want the two in creation order", list)
	}
	_, err = s.Responder(ctx, f.service.ID, "anna", "nosuch")
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.Responders(ctx, f.service.ID, "nobody")
	wantErr(t, err, storage.ErrNotFound)
	err = s.CreateResponders(ctx, []storage.Responder{newResponder(f.service.ID, "nobody", "x", false)}, -1)
	wantErr(t, err, storage.ErrNotFound)
}

func testResponderOneActive(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	f.mailbox(t, "anna")
	f.mailbox(t, "ben")
	a := createResponder(t, s, newResponder(f.service.ID, "anna", "A", true))
	b := createResponder(t, s, newResponder(f.service.ID, "anna", "B", true))
	other := createResponder(t, s, newResponder(f.service.ID, "ben", "Ben's", true))
	wantStrings(t, "active after creating B", activeIDs(t, s, f.service.ID, "anna"), b.ID)
	r, err := s.SetResponderActive(ctx, f.service.ID, "anna", a.ID, true)
	ok(t, err)
	if !r.Active {
		t.Error("SetResponderActive(true) returned an inactive responder")
	}
	wantStrings(t, "active after activating A", activeIDs(t, s, f.service.ID, "anna"), a.ID)
	wantStrings(t, "ben's active", activeIDs(t, s, f.service.ID, "ben"), other.ID)
	// Deactivating one that is not active changes nothing.
	_, err = s.SetResponderActive(ctx, f.service.ID, "anna", b.ID, false)
	ok(t, err)
	wantStrings(t, "active after deactivating B", activeIDs(t, s, f.service.ID, "anna"), a.ID)
	all, err := s.ActiveResponders(ctx)
	ok(t, err)
	var ids []string
	for _, r := range all {
		ids = append(ids, r.ID)
	}
	wantStrings(t, "ActiveResponders", ids, a.ID, other.ID)
	_, err = s.SetResponderActive(ctx, f.service.ID, "anna", a.ID, false)
	ok(t, err)
	wantStrings(t, "active after deactivating A", activeIDs(t, s, f.service.ID, "anna"))
	_, err = s.SetResponderActive(ctx, f.service.ID, "anna", "nosuch", true)
	wantErr(t, err, storage.ErrNotFound)
}

func testResponderBatch(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	f.mailbox(t, "anna")
	f.mailbox(t, "ben")
	// One missing mailbox fails the whole batch.
	err := s.CreateResponders(ctx, []storage.Responder{
		newResponder(f.service.ID, "anna", "A", true),
		newResponder(f.service.ID, "nobody", "N", true),
	}, -1)
	wantErr(t, err, storage.ErrNotFound)
	if rs, _ := s.Responders(ctx, f.service.ID, "anna"); len(rs) != 0 {
		t.Fatalf("a failed batch left %d responders", len(rs))
	}
	// The limit counts what the batch added already.
	createResponder(t, s, newResponder(f.service.ID, "anna", "old", false))
	err = s.CreateResponders(ctx, []storage.Responder{
		newResponder(f.service.ID, "ben", "B", false),
		newResponder(f.service.ID, "anna", "A1", false),
		newResponder(f.service.ID, "anna", "A2", false),
	}, 2)
	wantErr(t, err, storage.ErrLimit)
	if rs, _ := s.Responders(ctx, f.service.ID, "ben"); len(rs) != 0 {
		t.Fatalf("a batch over the limit left %d responders", len(rs))
	}
	// Two active copies for one mailbox: the last stays active, and the
	// batch as returned says so.
	rs := []storage.Responder{
		newResponder(f.service.ID, "ben", "B1", true),
		newResponder(f.service.ID, "anna", "A", true),
		newResponder(f.service.ID, "ben", "B2", true),
	}
	ok(t, s.CreateResponders(ctx, rs, -1))
	if rs[0].Active || !rs[1].Active || !rs[2].Active {
		t.Errorf("batch returned active %v %v %v, want false true true", rs[0].Active, rs[1].Active, rs[2].Active)
	}
	wantStrings(t, "ben's active", activeIDs(t, s, f.service.ID, "ben"), rs[2].ID)
}

func testResponderUpdateResetDelete(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	f.mailbox(t, "anna")
	r := createResponder(t, s, newResponder(f.service.ID, "anna", "A", true))
	upd := r
	upd.Name, upd.Text, upd.Active, upd.Handle = "Renamed", "New text", false, "ignored"
	upd.Weekdays = []time.Weekday{time.Monday}
	ok(t, s.UpdateResponder(ctx, &upd))
	if upd.Name != "Renamed" || upd.Text != "New text" || !upd.Active || upd.Handle != r.Handle || !upd.Created.Equal(r.Created) {
		t.Errorf("UpdateResponder gave %+v: want new settings, Active, Handle and Created kept", upd)
	}
	got, err := s.ResetResponder(ctx, f.service.ID, "anna", r.ID, "fresh-handle")
	ok(t, err)
	if got.Handle != "fresh-handle" || got.Name != "Renamed" {
		t.Errorf("ResetResponder gave handle %q name %q", got.Handle, got.Name)
	}
	missing := upd
	missing.ID = "nosuch"
	wantErr(t, s.UpdateResponder(ctx, &missing), storage.ErrNotFound)
	_, err = s.ResetResponder(ctx, f.service.ID, "anna", "nosuch", "h")
	wantErr(t, err, storage.ErrNotFound)
	ok(t, s.DeleteResponder(ctx, f.service.ID, "anna", r.ID))
	wantErr(t, s.DeleteResponder(ctx, f.service.ID, "anna", r.ID), storage.ErrNotFound)
	all, err := s.ActiveResponders(ctx)
	ok(t, err)
	if len(all) != 0 {
		t.Errorf("ActiveResponders after delete = %v", all)
	}
}

func testResponderCascades(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	f.mailbox(t, "anna")
	createResponder(t, s, newResponder(f.service.ID, "anna", "A", true))
	ok(t, s.DeleteMailbox(ctx, f.service.ID, "anna"))
	f.mailbox(t, "anna")
	if rs, err := s.Responders(ctx, f.service.ID, "anna"); err != nil || len(rs) != 0 {
		t.Fatalf("a new mailbox of a deleted one's name has responders %v (%v)", rs, err)
	}
	createResponder(t, s, newResponder(f.service.ID, "anna", "A", true))
	ok(t, s.CreateResponderTemplate(ctx, &storage.ResponderTemplate{Service: f.service.ID,
		ResponderSettings: storage.ResponderSettings{Name: "T"}}, -1))
	ok(t, s.DeleteMailService(ctx, f.service.ID))
	if all, err := s.ActiveResponders(ctx); err != nil || len(all) != 0 {
		t.Errorf("ActiveResponders after deleting the service = %v (%v)", all, err)
	}
	again := newMailService(t, s, f.org.ID, "domain.xyz")
	if ts, err := s.ResponderTemplates(ctx, again.ID); err != nil || len(ts) != 0 {
		t.Errorf("templates of a new service: %v (%v)", ts, err)
	}
	// The organization takes its services' responders with it.
	newMailbox(t, s, again.ID, "ben")
	createResponder(t, s, newResponder(again.ID, "ben", "B", true))
	ok(t, s.DeleteOrganization(ctx, f.org.ID))
	if all, err := s.ActiveResponders(ctx); err != nil || len(all) != 0 {
		t.Errorf("ActiveResponders after deleting the organization = %v (%v)", all, err)
	}
	// An account takes its sending addresses with it.
	acc := newAccount(t, s, "someone@example.org")
	ok(t, s.PutSendingAddress(ctx, &storage.SendingAddress{Account: acc.ID, Address: "me@example.org",
		CodeHash: "h", CodeExpires: time.Now().Add(time.Hour)}, -1))
	ok(t, s.DeleteAccount(ctx, acc.ID))
	if as, err := s.SendingAddresses(ctx, acc.ID); err != nil || len(as) != 0 {
		t.Errorf("sending addresses of a deleted account: %v (%v)", as, err)
	}
}

func testResponderTemplates(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	a := &storage.ResponderTemplate{Service: f.service.ID, Default: true,
		ResponderSettings: storage.ResponderSettings{Name: "A", Text: "Hello {name}", Weekdays: []time.Weekday{time.Friday}}}
	ok(t, s.CreateResponderTemplate(ctx, a, 2))
	if a.ID == "" || a.Created.IsZero() || !a.Default {
		t.Fatalf("CreateResponderTemplate gave %+v", a)
	}
	b := &storage.ResponderTemplate{Service: f.service.ID, Default: true, ResponderSettings: storage.ResponderSettings{Name: "B"}}
	ok(t, s.CreateResponderTemplate(ctx, b, 2))
	wantErr(t, s.CreateResponderTemplate(ctx, &storage.ResponderTemplate{Service: f.service.ID,
		ResponderSettings: storage.ResponderSettings{Name: "C"}}, 2), storage.ErrLimit)
	wantErr(t, s.CreateResponderTemplate(ctx, &storage.ResponderTemplate{Service: "nosuch",
		ResponderSettings: storage.ResponderSettings{Name: "C"}}, -1), storage.ErrNotFound)
	defaults := func() []string {
		ts, err := s.ResponderTemplates(ctx, f.service.ID)
		ok(t, err)
		var out []string
		for _, tp := range ts {
			if tp.Default {
				out = append(out, tp.Name)
			}
		}
		return out
	}
	wantStrings(t, "default templates", defaults(), "B")
	a.Default = true
	a.Name = "A2"
	ok(t, s.UpdateResponderTemplate(ctx, a))
	wantStrings(t, "default templates after updating A", defaults(), "A2")
	got, err := s.ResponderTemplate(ctx, f.service.ID, a.ID)
	ok(t, err)
	if got.Text != "Hello {name}" || !slices.Equal(got.Weekdays, []time.Weekday{time.Friday}) {
		t.Errorf("template read back %+v", got)
	}
	ok(t, s.DeleteResponderTemplate(ctx, f.service.ID, a.ID))
	wantErr(t, s.DeleteResponderTemplate(ctx, f.service.ID, a.ID), storage.ErrNotFound)
	_, err = s.ResponderTemplate(ctx, f.service.ID, a.ID)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.ResponderTemplates(ctx, "nosuch")
	wantErr(t, err, storage.ErrNotFound)
}

func testSendingAddresses(t *testing.T, s storage.Store) {
	ctx := t.Context()
	acc := newAccount(t, s, "anna@example.org")
	now := time.Now()
	put := func(address, hash string) *storage.SendingAddress {
		t.Helper()
		sa := &storage.SendingAddress{Account: acc.ID, Address: address, CodeHash: hash, CodeExpires: now.Add(time.Hour)}
		ok(t, s.PutSendingAddress(ctx, sa, 2))
		return sa
	}
	sa := put("Anna.Private@Example.NET", "hash1")
	if sa.Address != "anna.private@example.net" || sa.Created.IsZero() || !sa.Verified.IsZero() {
		t.Fatalf("PutSendingAddress gave %+v", sa)
	}
	put("second@example.net", "hash2")
	wantErr(t, s.PutSendingAddress(ctx, &storage.SendingAddress{Account: acc.ID, Address: "third@example.net",
		CodeHash: "h", CodeExpires: now.Add(time.Hour)}, 2), storage.ErrLimit)
	wantErr(t, s.PutSendingAddress(ctx, &storage.SendingAddress{Account: "nosuch", Address: "x@example.net",
		CodeHash: "h", CodeExpires: now.Add(time.Hour)}, -1), storage.ErrNotFound)

	_, err := s.VerifySendingAddress(ctx, acc.ID, "anna.private@example.net", "wrong", now)
	wantErr(t, err, storage.ErrNotFound)
	_, err = s.VerifySendingAddress(ctx, acc.ID, "anna.private@example.net", "hash1", now.Add(2*time.Hour))
	wantErr(t, err, storage.ErrNotFound)
	v, err := s.VerifySendingAddress(ctx, acc.ID, "ANNA.private@example.net", "hash1", now)
	ok(t, err)
	if v.Verified.IsZero() || v.CodeHash != "" {
		t.Errorf("verified address %+v: want Verified set and the code gone", v)
	}
	_, err = s.VerifySendingAddress(ctx, acc.ID, "anna.private@example.net", "hash1", now)
	wantErr(t, err, storage.ErrNotFound)

	list, err := s.SendingAddresses(ctx, acc.ID)
	ok(t, err)
	if len(list) != 2 || list[0].Address != "anna.private@example.net" || list[0].Verified.IsZero() || !list[1].Verified.IsZero() {
		t.Errorf("SendingAddresses = %+v", list)
	}
	// A new code makes it unverified again, without counting as new.
	again := put("anna.private@example.net", "hash3")
	if !again.Verified.IsZero() || !again.Created.Equal(sa.Created) {
		t.Errorf("new code gave %+v", again)
	}
	ok(t, s.DeleteSendingAddress(ctx, acc.ID, "Second@example.net"))
	wantErr(t, s.DeleteSendingAddress(ctx, acc.ID, "second@example.net"), storage.ErrNotFound)
	if list, err := s.SendingAddresses(ctx, "nosuch"); err != nil || len(list) != 0 {
		t.Errorf("SendingAddresses of an unknown account = %v, %v", list, err)
	}
}
