package mailbox_test

import (
	"strings"
	"testing"
)

// A mailbox gets its password when it is made, so password_changed is
// that moment, not Go's zero time.
func TestNewMailboxPasswordChanged(t *testing.T) {
	e := newEnv(t)
	_, svc := e.setup("standard")
	r := e.must(e.call(e.manager, "POST", "/api/v1/services/"+svc+"/mailboxes",
		`{"local_part":"fresh","password":"fresh mailbox pass 2026","password_confirm":"fresh mailbox pass 2026"}`), 201)
	changed, _ := r.json["password_changed"].(string)
	if changed == "" || strings.HasPrefix(changed, "0001-") || changed != r.json["created"] {
		t.Fatalf("password_changed %q, created %v", changed, r.json["created"])
	}
}
