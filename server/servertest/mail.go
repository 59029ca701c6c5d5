package servertest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"almanac/mailbox"
	"almanac/storage"
)

// AccountID is the ID of the account with login.
func AccountID(t testing.TB, store storage.Store, login string) string {
	t.Helper()
	a, err := store.AccountByLogin(t.Context(), login)
	if err != nil {
		t.Fatalf("account %s: %v", login, err)
	}
	return a.ID
}

// LinkedMailbox gives login's account an organization ("org1", which it
// owns) with a standard mail service ("svc1", example.net) and the
// mailbox ann@example.net linked to the account with the password,
// alias and responder rights, made through the store as an operator
// would, and returns the mailbox's address.
func LinkedMailbox(t testing.TB, store storage.Store, login string) string {
	t.Helper()
	ctx := t.Context()
	id := AccountID(t, store, login)
	org := &storage.Organization{ID: "org1", Name: "Example Ltd"}
	svc := &storage.MailService{ID: "svc1", Org: org.ID, Domain: "example.net", Plan: mailbox.PlanStandard}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("mailbox of %s: %v", login, err)
		}
	}
	must(store.CreateOrganization(ctx, org))
	must(store.PutMember(ctx, storage.Member{Org: org.ID, Account: id, Role: storage.RoleOwner}))
	must(store.CreateMailService(ctx, svc))
	must(store.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: "ann", PasswordHash: PasswordHash(t), Created: time.Now()}))
	must(store.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: "ann", Account: id,
		Rights: []string{storage.RightPassword, storage.RightAliases, storage.RightResponder}}))
	return "ann@example.net"
}

// AddAliases gives the mailbox at address, of LinkedMailbox's service,
// the aliases alias0 to alias<n-1>; those it has already are kept.
func AddAliases(t testing.TB, store storage.Store, address string, n int) {
	t.Helper()
	local, _, _ := strings.Cut(address, "@")
	for i := range n {
		err := store.AddAlias(t.Context(), "svc1", local, fmt.Sprintf("alias%d", i), mailbox.MaxAliases)
		if err != nil && !errors.Is(err, storage.ErrExists) {
			t.Fatal(err)
		}
	}
}
