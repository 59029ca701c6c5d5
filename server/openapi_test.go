package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"almanac/auth"
	"almanac/caldav"
	"almanac/carddav"
	"almanac/mailbox"
	"almanac/server/servertest"
	"almanac/sharing"
	"almanac/storage"
	"almanac/storage/bolt"
)

// openapiSpec is the API description the tests below keep honest.
const openapiSpec = "../docs/openapi.yaml"

// openapiServed lists every (method, path) the router serves under
// /api/v1, as the features registered them; HEAD, served wherever GET is,
// is left out. Each must be in the spec, and the spec must have nothing
// else.
func openapiServed(t *testing.T) []string {
	return servertest.New(t).Server.APIRoutes()
}

// openapiOps maps path -> upper-case method -> documented status codes.
type openapiOps map[string]map[string][]int

// The spec is YAML with a fixed layout, scanned by line rather than
// parsed (no YAML dependency): paths at 2 spaces under "paths:", methods
// at 4, "responses:" at 6 and status codes at 8.
var (
	openapiPathLine     = regexp.MustCompile(`^  (/api/v1/[^\s:]*):\s*$`)
	openapiMethodLine   = regexp.MustCompile(`^    (get|put|post|patch|delete|head|options|trace):\s*$`)
	openapiResponsesKey = regexp.MustCompile(`^      responses:\s*$`)
	openapiStatusLine   = regexp.MustCompile(`^        '?([1-5][0-9][0-9])'?:\s*$`)
)

func readOpenAPI(t *testing.T) openapiOps {
	t.Helper()
	f, err := os.Open(openapiSpec)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops := openapiOps{}
	inPaths, inResponses := false, false
	path, method := "", ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if strings.Contains(line, "\t") {
			t.Fatalf("%s:%d: tab in the spec", openapiSpec, n)
		}
		if line[0] != ' ' { // a top-level key
			inPaths = line == "paths:"
			path, method, inResponses = "", "", false
			continue
		}
		if !inPaths {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 2:
			m := openapiPathLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("%s:%d: a key under paths: is not an /api/v1 path: %q", openapiSpec, n, line)
			}
			if ops[m[1]] != nil {
				t.Fatalf("%s:%d: path %s twice", openapiSpec, n, m[1])
			}
			path, method, inResponses = m[1], "", false
			ops[path] = map[string][]int{}
		case indent == 4:
			method, inResponses = "", false
			if m := openapiMethodLine.FindStringSubmatch(line); m != nil {
				method = strings.ToUpper(m[1])
				ops[path][method] = []int{}
			}
		case indent == 6:
			inResponses = method != "" && openapiResponsesKey.MatchString(line)
		case indent == 8 && inResponses:
			if m := openapiStatusLine.FindStringSubmatch(line); m != nil {
				code, _ := strconv.Atoi(m[1])
				ops[path][method] = append(ops[path][method], code)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ops) == 0 {
		t.Fatalf("%s: no paths found", openapiSpec)
	}
	for p, methods := range ops {
		if len(methods) == 0 {
			t.Errorf("%s: no operations", p)
		}
		for m, codes := range methods {
			if len(codes) == 0 {
				t.Errorf("%s %s: no responses", m, p)
			}
		}
	}
	return ops
}

func TestOpenAPIListsEveryServedRoute(t *testing.T) {
	ops := readOpenAPI(t)
	served := map[string]bool{}
	for _, r := range openapiServed(t) {
		served[r] = true
		method, path, _ := strings.Cut(r, " ")
		if _, ok := ops[path][method]; !ok {
			t.Errorf("served but not in %s: %s", openapiSpec, r)
		}
	}
	for path, methods := range ops {
		for method := range methods {
			if !served[method+" "+path] {
				t.Errorf("in %s but not served: %s %s", openapiSpec, method, path)
			}
		}
	}
}

// openapiEnv is a server with two accounts, jane (who makes the requests,
// a server admin so that the admin routes exist for her) and bob, so that
// every path parameter can name something that exists.
type openapiEnv struct {
	url       string
	db        *bolt.DB
	jane, bob *storage.Account
	hash      string // of servertest.Password, for accounts and mailboxes
	mailN     int    // mail services made so far, for unique domains
	accN      int    // accounts made for the admin paths, for unique logins
}

func newOpenAPIEnv(t *testing.T) *openapiEnv {
	t.Helper()
	srv := servertest.New(t)
	env := &openapiEnv{db: srv.Store, hash: servertest.PasswordHash(t)}
	env.jane = srv.Account("jane@example.com", func(a *storage.Account) { a.Admin = true })
	env.bob = srv.Account("bob@example.com")
	env.url = srv.Start()
	return env
}

// resolve fills the path parameters of tmpl with things that exist now,
// made afresh for each request (an earlier request may have deleted
// them): an app password and a link of jane, a share of jane's calendar
// with bob and one of bob's calendar with jane, an account of its own for
// each admin account path (a DELETE removes it), and for the mail paths
// the organization, mail service, mailbox and alias of e.mail, with bob
// as {account} (a member of the organization, linked to the mailbox).
func (e *openapiEnv) resolve(t *testing.T, tmpl string) string {
	t.Helper()
	ctx := context.Background()
	path := tmpl
	switch {
	case strings.HasPrefix(tmpl, "/api/v1/account/app-passwords/{id}"):
		_, id, hash := auth.NewAppPassword()
		if err := e.db.CreateAppPassword(ctx, &storage.AppPassword{ID: id, Owner: e.jane.ID, Name: "openapi", Hash: hash, Scope: auth.ScopeDAV}); err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(tmpl, "{id}", id, 1)
	case strings.HasPrefix(tmpl, "/api/v1/links/{id}"):
		l := &storage.Link{ID: sharing.NewLinkID(), Owner: e.jane.ID, Collection: caldav.DefaultCalendar, Tier: sharing.TierFull}
		if err := e.db.CreateLink(ctx, l); err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(tmpl, "{id}", l.ID, 1)
	case tmpl == "/api/v1/shares/{collection}/{sharee}":
		if _, _, err := sharing.Share(ctx, e.db, e.jane.ID, caldav.DefaultCalendar, e.bob.ID, storage.AccessRead); err != nil {
			t.Fatal(err)
		}
		path = strings.NewReplacer("{collection}", caldav.DefaultCalendar, "{sharee}", e.bob.ID).Replace(tmpl)
	case tmpl == "/api/v1/shares/received/{owner}/{collection}":
		if _, _, err := sharing.Share(ctx, e.db, e.bob.ID, caldav.DefaultCalendar, e.jane.ID, storage.AccessRead); err != nil {
			t.Fatal(err)
		}
		path = strings.NewReplacer("{owner}", e.bob.ID, "{collection}", caldav.DefaultCalendar).Replace(tmpl)
	case tmpl == "/api/v1/calendars/{collection}/import":
		path = strings.Replace(tmpl, "{collection}", caldav.DefaultCalendar, 1)
	case tmpl == "/api/v1/addressbooks/{collection}/import":
		path = strings.Replace(tmpl, "{collection}", carddav.DefaultAddressBook, 1)
	case tmpl == "/api/v1/admin/accounts/{account}":
		e.accN++
		acc := &storage.Account{Login: fmt.Sprintf("user%d@example.com", e.accN), PasswordHash: e.hash}
		if err := e.db.CreateAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(tmpl, "{account}", acc.ID, 1)
	case strings.HasPrefix(tmpl, "/api/v1/imports/{id}"):
		j := &storage.ImportJob{Owner: e.jane.ID, Service: "s", LocalPart: "me", Destination: "me@domain.xyz",
			State: storage.ImportQueued, Sources: []storage.ImportSource{{Address: "a@example.org", Host: "imap.example.org",
				Port: 993, Security: "tls", State: storage.ImportQueued}}}
		if err := e.db.CreateImportJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(tmpl, "{id}", j.ID, 1)
	case tmpl == mailbox.SendersPath+"/{address}":
		sa := &storage.SendingAddress{Account: e.jane.ID, Address: "jane.private@example.org", CodeHash: "x", CodeExpires: time.Now().Add(time.Hour)}
		if err := e.db.PutSendingAddress(ctx, sa, -1); err != nil {
			t.Fatal(err)
		}
		path = strings.Replace(tmpl, "{address}", sa.Address, 1)
	case strings.Contains(tmpl, "{org}"), strings.Contains(tmpl, "{service}"), strings.Contains(tmpl, "{address}"):
		m := e.mail(t)
		path = strings.NewReplacer("{org}", m.org, "{account}", e.bob.ID, "{service}", m.service,
			"{local}", m.local, "{address}", m.address, "{alias}", m.alias).Replace(tmpl)
		switch {
		case strings.Contains(tmpl, "/responders/{id}"):
			rs := []storage.Responder{{Service: m.service, LocalPart: m.local,
				ResponderSettings: storage.ResponderSettings{Name: "openapi", Text: "Away.", TimeZone: "UTC"}}}
			if err := e.db.CreateResponders(ctx, rs, -1); err != nil {
				t.Fatal(err)
			}
			path = strings.Replace(path, "{id}", rs[0].ID, 1)
		case strings.Contains(tmpl, "/responder-templates/{id}"):
			tp := &storage.ResponderTemplate{Service: m.service, ResponderSettings: storage.ResponderSettings{Name: "openapi", Text: "Away.", TimeZone: "UTC"}}
			if err := e.db.CreateResponderTemplate(ctx, tp, -1); err != nil {
				t.Fatal(err)
			}
			path = strings.Replace(path, "{id}", tp.ID, 1)
		}
	}
	if strings.ContainsAny(path, "{}") {
		t.Fatalf("%s: no test value for its path parameters", tmpl)
	}
	return path
}

// openapiMail names what e.mail made.
type openapiMail struct {
	org, service, local, address, alias string
}

// mail makes a fresh organization owned by jane with bob as a member, a
// standard-plan mail service (aliases allowed) of a domain of its own, a
// mailbox "info" whose password is servertest.Password, an alias "sales" of
// it, and links of jane and bob to the mailbox with every right.
func (e *openapiEnv) mail(t *testing.T) openapiMail {
	t.Helper()
	ctx := context.Background()
	e.mailN++
	org := &storage.Organization{Name: "openapi"}
	if err := e.db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	for _, m := range []storage.Member{{Org: org.ID, Account: e.jane.ID, Role: storage.RoleOwner}, {Org: org.ID, Account: e.bob.ID, Role: storage.RoleMember}} {
		if err := e.db.PutMember(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	s := &storage.MailService{Org: org.ID, Domain: fmt.Sprintf("mail%d.example.org", e.mailN), Plan: mailbox.PlanStandard}
	if err := e.db.CreateMailService(ctx, s); err != nil {
		t.Fatal(err)
	}
	m := &storage.Mailbox{Service: s.ID, LocalPart: "info", PasswordHash: e.hash}
	if err := e.db.CreateMailbox(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddAlias(ctx, s.ID, m.LocalPart, "sales", mailbox.MaxAliases); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*storage.Account{e.jane, e.bob} {
		l := &storage.MailboxLink{Service: s.ID, LocalPart: m.LocalPart, Account: acc.ID,
			Rights: []string{storage.RightPassword, storage.RightResponder, storage.RightAliases}}
		if err := e.db.PutMailboxLink(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	return openapiMail{org: org.ID, service: s.ID, local: m.LocalPart, address: m.LocalPart + "@" + s.Domain, alias: "sales"}
}

// request sends method path as jane with HTTP Basic; state-changing
// methods carry the body {}.
func (e *openapiEnv) request(t *testing.T, method, path string) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if method != http.MethodGet && method != http.MethodHead {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(e.jane.Login, servertest.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

type openapiError struct {
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// TestOpenAPIRoutesExist sends every documented operation to the server
// and checks that the route exists (no 404, no 405: every path parameter
// names something that exists), that it does not fail (5xx), that the
// status is one the spec lists for it, and that errors have the
// documented shape. Each documented path must also refuse the methods the
// spec does not list with 405 and an Allow header naming exactly the
// documented ones (plus HEAD with GET).
func TestOpenAPIRoutesExist(t *testing.T) {
	ops := readOpenAPI(t)
	env := newOpenAPIEnv(t)
	paths := make([]string, 0, len(ops))
	for p := range ops {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, tmpl := range paths {
		methods := ops[tmpl]
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			codes, documented := methods[method]
			resp, body := env.request(t, method, env.resolve(t, tmpl))
			var e openapiError
			jsonErr := json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Code != "" && e.Error.Message != ""
			if !documented {
				if resp.StatusCode != http.StatusMethodNotAllowed || !jsonErr || e.Error.Code != "method_not_allowed" {
					t.Errorf("%s %s (not in the spec): %d %s, want 405 method_not_allowed", method, tmpl, resp.StatusCode, body)
					continue
				}
				var want []string
				for m := range methods {
					want = append(want, m)
					if m == "GET" {
						want = append(want, "HEAD")
					}
				}
				var got []string
				for _, m := range strings.Split(resp.Header.Get("Allow"), ",") {
					got = append(got, strings.TrimSpace(m))
				}
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s %s: Allow %v, the spec has %v", method, tmpl, got, want)
				}
				continue
			}
			switch {
			case resp.StatusCode == http.StatusNotFound && jsonErr && e.Error.Message == "no such API endpoint":
				t.Errorf("%s %s: no such API endpoint", method, tmpl)
			case resp.StatusCode == http.StatusNotFound, resp.StatusCode == http.StatusMethodNotAllowed, resp.StatusCode >= 500:
				t.Errorf("%s %s: %d %s", method, tmpl, resp.StatusCode, body)
			case !slices.Contains(codes, resp.StatusCode):
				t.Errorf("%s %s: %d %s, which the spec does not list (%v)", method, tmpl, resp.StatusCode, body, codes)
			case resp.StatusCode >= 400 && !jsonErr:
				t.Errorf("%s %s: %d error not of the shape {\"error\": {\"code\", \"message\"}}: %s", method, tmpl, resp.StatusCode, body)
			default:
				t.Logf("%s %s: %d", method, tmpl, resp.StatusCode)
			}
		}
	}
}
