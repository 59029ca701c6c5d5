package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/storage"
)

func accountID(t testing.TB, env *servertest.Env, login string) string {
	t.Helper()
	a, err := env.Store.AccountByLogin(t.Context(), login)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// mailSetup gives login an organization with a standard mail service
// and a mailbox linked to the account, made through the store as an
// operator would; the pages are tested on what they show and change.
func mailSetup(t testing.TB, env *servertest.Env, login string) string {
	t.Helper()
	ctx := t.Context()
	id := accountID(t, env, login)
	org := &storage.Organization{ID: "org1", Name: "Example Ltd"}
	must(t, env.Store.CreateOrganization(ctx, org))
	must(t, env.Store.PutMember(ctx, storage.Member{Org: org.ID, Account: id, Role: storage.RoleOwner}))
	svc := &storage.MailService{ID: "svc1", Org: org.ID, Domain: "example.net", Plan: mailbox.PlanStandard}
	must(t, env.Store.CreateMailService(ctx, svc))
	must(t, env.Store.CreateMailbox(ctx, &storage.Mailbox{Service: svc.ID, LocalPart: "ann", PasswordHash: servertest.PasswordHash(t), Created: time.Now()}))
	must(t, env.Store.PutMailboxLink(ctx, &storage.MailboxLink{Service: svc.ID, LocalPart: "ann", Account: id,
		Rights: []string{storage.RightPassword, storage.RightAliases, storage.RightResponder}}))
	return "ann@example.net"
}

func addAliasesInStore(t *testing.T, env *servertest.Env, address string, n int) {
	t.Helper()
	local, _, _ := strings.Cut(address, "@")
	for i := range n {
		err := env.Store.AddAlias(t.Context(), "svc1", local, fmt.Sprintf("alias%d", i), mailbox.MaxAliases)
		if err != nil && err != storage.ErrExists {
			t.Fatal(err)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
