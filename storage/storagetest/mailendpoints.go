package storagetest

import (
	"testing"

	"almanac/storage"
)

// mailEndpointTests cover a Mail Service's own IMAP and submission
// endpoints (SetMailEndpoints).
var mailEndpointTests = []test{
	{"ZeroByDefault", testMailEndpointsZero},
	{"CreateKeeps", testMailEndpointsOnCreate},
	{"Set", testSetMailEndpoints},
	{"UpdateKeeps", testUpdateKeepsMailEndpoints},
}

func testMailEndpointsZero(t *testing.T, s storage.Store) {
	f := newMailFixture(t, s)
	got, err := s.MailService(t.Context(), f.service.ID)
	ok(t, err)
	if got.IMAP != (storage.MailEndpoint{}) || got.Submission != (storage.MailEndpoint{}) {
		t.Fatalf("a new service has endpoints %+v, %+v; want zero", got.IMAP, got.Submission)
	}
}

func testMailEndpointsOnCreate(t *testing.T, s storage.Store) {
	ctx := t.Context()
	o := newOrg(t, s, "Acme")
	imap := storage.MailEndpoint{Host: "imap.example.net", Port: 993, Security: "tls"}
	ms := &storage.MailService{Org: o.ID, Domain: "made.xyz", Plan: "free", IMAP: imap}
	ok(t, s.CreateMailService(ctx, ms))
	if ms.IMAP != imap || ms.Submission != (storage.MailEndpoint{}) {
		t.Fatalf("CreateMailService wrote back %+v, %+v", ms.IMAP, ms.Submission)
	}
	got, err := s.MailServiceByDomain(ctx, "made.xyz")
	ok(t, err)
	if got.IMAP != imap || got.Submission != (storage.MailEndpoint{}) {
		t.Fatalf("read back %+v, %+v; want %+v and zero", got.IMAP, got.Submission, imap)
	}
}

func testSetMailEndpoints(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	imap := storage.MailEndpoint{Host: "imap.example.net", Port: 143, Security: "starttls"}
	sub := storage.MailEndpoint{Host: "smtp.example.net"}
	got, err := s.SetMailEndpoints(ctx, f.service.ID, imap, sub)
	ok(t, err)
	want := *f.service
	want.IMAP, want.Submission = imap, sub
	if !sameService(*got, want) || got.IMAP != imap || got.Submission != sub {
		t.Fatalf("SetMailEndpoints returned %+v, want %+v", got, want)
	}
	for _, read := range []func() (*storage.MailService, error){
		func() (*storage.MailService, error) { return s.MailService(ctx, f.service.ID) },
		func() (*storage.MailService, error) { return s.MailServiceByDomain(ctx, "alias.xyz") },
	} {
		got, err := read()
		ok(t, err)
		if !sameService(*got, want) || got.IMAP != imap || got.Submission != sub {
			t.Fatalf("read back %+v, want %+v", got, want)
		}
	}
	list, err := s.MailServices(ctx, f.org.ID)
	ok(t, err)
	if len(list) != 1 || list[0].IMAP != imap || list[0].Submission != sub {
		t.Fatalf("MailServices = %+v", list)
	}
	services, _, err := s.MailExport(ctx)
	ok(t, err)
	if len(services) != 1 || services[0].IMAP != imap {
		t.Fatalf("MailExport services = %+v", services)
	}

	// Zero endpoints go back to the server's settings.
	got, err = s.SetMailEndpoints(ctx, f.service.ID, storage.MailEndpoint{}, storage.MailEndpoint{})
	ok(t, err)
	if got.IMAP != (storage.MailEndpoint{}) || got.Submission != (storage.MailEndpoint{}) {
		t.Fatalf("after clearing: %+v, %+v", got.IMAP, got.Submission)
	}
	_, err = s.SetMailEndpoints(ctx, "missing", imap, sub)
	wantErr(t, err, storage.ErrNotFound)
}

// UpdateMailService and SetMailEndpoints change disjoint fields, so that
// the plan and the endpoints can be edited apart without one undoing the
// other.
func testUpdateKeepsMailEndpoints(t *testing.T, s storage.Store) {
	ctx := t.Context()
	f := newMailFixture(t, s)
	imap := storage.MailEndpoint{Host: "imap.example.net", Port: 993, Security: "tls"}
	_, err := s.SetMailEndpoints(ctx, f.service.ID, imap, storage.MailEndpoint{})
	ok(t, err)
	up := &storage.MailService{ID: f.service.ID, Plan: "free", AliasDomains: []string{"other.xyz"},
		IMAP: storage.MailEndpoint{Host: "ignored.example.net"}}
	ok(t, s.UpdateMailService(ctx, up))
	if up.IMAP != imap || up.Plan != "free" {
		t.Fatalf("UpdateMailService wrote back %+v", up)
	}
	got, err := s.MailService(ctx, f.service.ID)
	ok(t, err)
	if got.IMAP != imap || got.Plan != "free" {
		t.Fatalf("after update: %+v", got)
	}
}
