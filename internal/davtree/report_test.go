package davtree_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"almanac/internal/davtest"
)

func syncBody(token string, extra ...string) string {
	props := []string{"<D:getetag/>"}
	limit := ""
	for _, x := range extra {
		if n, ok := strings.CutPrefix(x, "limit="); ok {
			limit = `<D:limit><D:nresults>` + n + `</D:nresults></D:limit>`
			continue
		}
		props = append(props, x)
	}
	return `<D:sync-collection` + xmlns + `><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level>` +
		limit + `<D:prop>` + strings.Join(props, "") + `</D:prop></D:sync-collection>`
}

// statuses maps each response's href to its status: the response's own,
// or 200 when it carries properties.
func statuses(m *davtest.Multistatus) map[string]int {
	out := map[string]int{}
	for _, r := range m.Responses {
		if r.Status != "" {
			out[r.Href] = status(r.Status)
		} else if len(r.Propstats) > 0 {
			out[r.Href] = status(r.Propstats[0].Status)
		}
	}
	return out
}

// state is what a client polls: getctag and sync-token.
func (e *env) state(path string) (ctag, token string) {
	e.t.Helper()
	m := e.propfind(e.alice, path, "0", "CS:getctag", "D:sync-token")
	ctag, _, _ = m.Prop(path, "getctag")
	token, _, _ = m.Prop(path, "sync-token")
	if ctag == "" || token == "" {
		e.t.Fatalf("%s: getctag %q, sync-token %q", path, ctag, token)
	}
	return ctag, token
}

// Every change of a member moves getctag and sync-token of each
// collection it touches, together; a refused request moves neither.
func TestCTagAndSyncTokenMove(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "home")
	w, h := book(a, "work"), book(a, "home")
	etag := e.mustPut(a, note(a, "work", "keep.txt"), "uid-keep\n")

	for _, step := range []struct {
		name            string
		do              func() int
		status          int
		work, homeMoves bool
	}{
		{"create", func() int { return e.put(a, note(a, "work", "n.txt"), "uid-n\n").Code }, 201, true, false},
		{"update", func() int { return e.put(a, note(a, "work", "n.txt"), "uid-n\nv2\n").Code }, 204, true, false},
		{"stale If-Match", func() int { return e.put(a, note(a, "work", "n.txt"), "uid-n\nv3\n", "If-Match", etag).Code }, 412, false, false},
		{"UID conflict", func() int { return e.put(a, note(a, "work", "m.txt"), "uid-n\n").Code }, 403, false, false},
		{"too large", func() int { return e.put(a, note(a, "work", "m.txt"), "uid-m\n"+strings.Repeat("x", testMaxSize)).Code }, 403, false, false},
		{"media type", func() int {
			return e.do(a, "PUT", note(a, "work", "m.txt"), "uid-m\n", "Content-Type", "image/png").Code
		}, 403, false, false},
		{"copy out", func() int {
			return e.do(a, "COPY", note(a, "work", "n.txt"), "", "Destination", note(a, "home", "n.txt")).Code
		}, 201, false, true},
		{"move in", func() int {
			return e.do(a, "MOVE", note(a, "home", "n.txt"), "", "Destination", note(a, "work", "n2.txt")).Code
		}, 403, false, false}, // UID taken in work
		{"move out", func() int {
			return e.do(a, "MOVE", note(a, "work", "keep.txt"), "", "Destination", note(a, "home", "keep.txt")).Code
		}, 201, true, true},
		{"delete", func() int { return e.do(a, "DELETE", note(a, "work", "n.txt"), "").Code }, 204, true, false},
		{"delete missing", func() int { return e.do(a, "DELETE", note(a, "work", "n.txt"), "").Code }, 404, false, false},
		{"failed proppatch", func() int {
			return e.do(a, "PROPPATCH", w, `<D:propertyupdate`+xmlns+`><D:set><D:prop><N:color>no</N:color></D:prop></D:set></D:propertyupdate>`).Code
		}, 207, false, false},
	} {
		wc, wt := e.state(w)
		hc, ht := e.state(h)
		if got := step.do(); got != step.status {
			t.Fatalf("%s: status %d, want %d", step.name, got, step.status)
		}
		wc2, wt2 := e.state(w)
		hc2, ht2 := e.state(h)
		if (wc != wc2) != step.work || (wt != wt2) != step.work {
			t.Errorf("%s: work getctag %s → %s, sync-token %s → %s; want moved %v", step.name, wc, wc2, wt, wt2, step.work)
		}
		if (hc != hc2) != step.homeMoves || (ht != ht2) != step.homeMoves {
			t.Errorf("%s: home getctag %s → %s, sync-token %s → %s; want moved %v", step.name, hc, hc2, ht, ht2, step.homeMoves)
		}
	}
}

func TestSyncCollection(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "other")
	w := book(a, "work")
	etagA := e.mustPut(a, note(a, "work", "a.txt"), "uid-a\n")
	e.mustPut(a, note(a, "work", "b.txt"), "uid-b\n")

	sync := func(token string, extra ...string) *davtest.Multistatus {
		t.Helper()
		return davtest.ParseMS(t, e.do(a, "REPORT", w, syncBody(token, extra...), "Depth", "1"))
	}
	first := sync("")
	if got := statuses(first); len(got) != 2 || got[note(a, "work", "a.txt")] != 200 || got[note(a, "work", "b.txt")] != 200 {
		t.Fatalf("initial sync: %v", got)
	}
	if got, _, _ := first.Prop(note(a, "work", "a.txt"), "getetag"); got != etagA {
		t.Errorf("getetag %q, want %q", got, etagA)
	}
	if _, tok := e.state(w); first.SyncToken != tok {
		t.Errorf("initial sync token %q, the collection's %q", first.SyncToken, tok)
	}

	// Incremental: the update, the tombstone, the new member.
	etagA2 := e.mustPut(a, note(a, "work", "a.txt"), "uid-a\nv2\n")
	if rec := e.do(a, "DELETE", note(a, "work", "b.txt"), ""); rec.Code != http.StatusNoContent {
		t.Fatal(rec.Code)
	}
	e.mustPut(a, note(a, "work", "c.txt"), "uid-c\n")
	e.mustPut(a, note(a, "work", "gone.txt"), "uid-gone\n")
	e.do(a, "DELETE", note(a, "work", "gone.txt"), "")
	second := sync(first.SyncToken)
	want := map[string]int{note(a, "work", "a.txt"): 200, note(a, "work", "b.txt"): 404, note(a, "work", "c.txt"): 200, note(a, "work", "gone.txt"): 404}
	if got := statuses(second); !equalMaps(got, want) {
		t.Errorf("incremental sync: %v, want %v", got, want)
	}
	if got, _, _ := second.Prop(note(a, "work", "a.txt"), "getetag"); got != etagA2 {
		t.Errorf("getetag %q, want %q", got, etagA2)
	}
	if second.SyncToken == first.SyncToken {
		t.Error("sync token did not move")
	}
	// Nothing new: no responses, the same token. Initial sync has no
	// tombstones.
	if third := sync(second.SyncToken); len(third.Responses) != 0 || third.SyncToken != second.SyncToken {
		t.Errorf("idle sync: %v, token %q", third.Hrefs(), third.SyncToken)
	}
	if got := sync("").Hrefs(); !slices.Equal(got, []string{note(a, "work", "a.txt"), note(a, "work", "c.txt")}) {
		t.Errorf("initial sync after changes: %v", got)
	}

	// The data property, rendered as the kind's DataRequest asks.
	m := sync(first.SyncToken, "<N:note-data/>")
	if got, _, _ := m.Prop(note(a, "work", "a.txt"), "note-data"); got != "uid-a\nv2\n" {
		t.Errorf("note-data %q", got)
	}
	m = sync(first.SyncToken, `<N:note-data lines="1"/>`)
	if got, _, _ := m.Prop(note(a, "work", "a.txt"), "note-data"); got != "uid-a\n" {
		t.Errorf("rendered note-data %q", got)
	}
	davtest.WantError(t, e.do(a, "REPORT", w, syncBody("", `<N:note-data lines="x"/>`)), http.StatusBadRequest, "")

	// A truncated answer: 507 for the collection and a token that
	// resumes (RFC 6578 3.6).
	part := sync("", "limit=1")
	if got := statuses(part); len(got) != 2 || got[w] != 507 {
		t.Errorf("truncated sync: %v", got)
	}
	// The rest follows from the change log, tombstones included.
	rest := statuses(sync(part.SyncToken))
	if _, again := rest[note(a, "work", "a.txt")]; again || rest[note(a, "work", "c.txt")] != 200 {
		t.Errorf("sync after a truncated one: %v", rest)
	}

	// Tokens this collection did not issue are 403 valid-sync-token.
	_, otherTok := e.state(book(a, "other"))
	inc, seq := splitToken(t, second.SyncToken)
	for _, tok := range []string{
		"garbage",
		"urn:almanac:sync:",
		"urn:almanac:sync:" + inc,
		"urn:almanac:sync:" + inc + ":x",
		"urn:almanac:sync:" + inc + ":" + strconv.FormatUint(seq+100, 10), // from the future
		otherTok, // another collection's
		"http://example.com/ns/sync/1",
	} {
		davtest.WantError(t, e.do(a, "REPORT", w, syncBody(tok)), http.StatusForbidden, "valid-sync-token")
	}
	// A collection deleted and made again does not take the old tokens.
	e.do(a, "DELETE", w, "")
	e.mkbook(a, "work")
	davtest.WantError(t, e.do(a, "REPORT", w, syncBody(second.SyncToken)), http.StatusForbidden, "valid-sync-token")

	// Where sync-collection is not served, and malformed requests.
	e.mustPut(a, note(a, "work", "a.txt"), "uid-a\n")
	davtest.WantError(t, e.do(a, "REPORT", note(a, "work", "a.txt"), syncBody("")), http.StatusForbidden, "supported-report")
	davtest.WantError(t, e.do(a, "REPORT", home(a), syncBody("")), http.StatusForbidden, "supported-report")
	davtest.WantError(t, e.do(a, "REPORT", "/dav/", syncBody("")), http.StatusForbidden, "supported-report")
	davtest.WantError(t, e.do(a, "REPORT", book(a, "nope"), syncBody("")), http.StatusNotFound, "")
	davtest.WantError(t, e.do(a, "REPORT", w, strings.Replace(syncBody(""), ">1<", ">infinite<", 1)), http.StatusForbidden, "supported-sync-level")
	davtest.WantError(t, e.do(a, "REPORT", w, `<D:sync-collection xmlns:D="DAV:"><D:sync-level>1</D:sync-level></D:sync-collection>`), http.StatusBadRequest, "")
	davtest.WantError(t, e.do(a, "REPORT", w, syncBody("", "limit=0")), http.StatusBadRequest, "")
}

func splitToken(t *testing.T, tok string) (string, uint64) {
	t.Helper()
	i := strings.LastIndexByte(tok, ':')
	seq, err := strconv.ParseUint(tok[i+1:], 10, 64)
	if !strings.HasPrefix(tok, "urn:almanac:sync:") || err != nil {
		t.Fatalf("sync token %q", tok)
	}
	return strings.TrimPrefix(tok[:i], "urn:almanac:sync:"), seq
}

func equalMaps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func multigetBody(props string, hrefs ...string) string {
	var sb strings.Builder
	sb.WriteString(`<N:notes-multiget` + xmlns + `><D:prop>` + props + `</D:prop>`)
	for _, h := range hrefs {
		sb.WriteString("<D:href>" + h + "</D:href>")
	}
	sb.WriteString("</N:notes-multiget>")
	return sb.String()
}

func TestMultiget(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mkbook(a, "other")
	e.mkbook(e.bob, "work")
	w := book(a, "work")
	e.mustPut(a, note(a, "work", "a.txt"), "uid-a\nline 2\n")
	e.mustPut(a, note(a, "work", "b%20c.txt"), "uid-bc\n")
	e.mustPut(a, note(a, "other", "o.txt"), "uid-o\n")
	e.mustPut(e.bob, note(e.bob, "work", "a.txt"), "uid-bob\n")

	hrefs := []string{
		note(a, "work", "a.txt"),
		"http://example.com" + note(a, "work", "b%20c.txt"), // absolute, escaped
		note(a, "work", "missing.txt"),
		note(a, "other", "o.txt"),               // another notebook
		note(e.bob, "work", "a.txt"),            // another account
		"/dav/lists/" + a.ID + "/default/x.txt", // another kind
		w,                                       // the collection itself
		note(a, "work", "a.txt") + "/x",         // below a member
		w + "../other/o.txt",                    // dot segments
		w + "a%2Fb.txt",                         // encoded slash
		"%zz",                                   // not a URL
	}
	rec := e.do(a, "REPORT", w, multigetBody("<D:getetag/><N:note-data/>", hrefs...), "Depth", "1")
	m := davtest.ParseMS(t, rec)
	got := statuses(m)
	want := map[string]int{
		note(a, "work", "a.txt"): 200, note(a, "work", "b%20c.txt"): 200, note(a, "work", "missing.txt"): 404,
	}
	// Hrefs that are not members of the request collection are 403
	// whether or not they exist elsewhere, so the report cannot probe.
	for _, h := range hrefs[3:] {
		want[h] = 403
	}
	if !equalMaps(got, want) || len(m.Responses) != len(hrefs) {
		t.Errorf("multiget: %v, want %v", got, want)
	}
	if txt, _, _ := m.Prop(note(a, "work", "a.txt"), "note-data"); txt != "uid-a\nline 2\n" {
		t.Errorf("note-data %q", txt)
	}
	if strings.Contains(rec.Body.String(), "uid-bob") || strings.Contains(rec.Body.String(), "uid-o") {
		t.Error("multiget served a member of another collection")
	}

	// Without the data property only metadata is read; with a rendering
	// request the kind's Renderer applies.
	m = davtest.ParseMS(t, e.do(a, "REPORT", w, multigetBody("<D:getetag/>", note(a, "work", "a.txt"))))
	if _, _, ok := m.Prop(note(a, "work", "a.txt"), "note-data"); ok {
		t.Error("note-data sent unasked")
	}
	m = davtest.ParseMS(t, e.do(a, "REPORT", w, multigetBody(`<N:note-data lines="1"/>`, note(a, "work", "a.txt"))))
	if txt, _, _ := m.Prop(note(a, "work", "a.txt"), "note-data"); txt != "uid-a\n" {
		t.Errorf("rendered note-data %q", txt)
	}
	// On a member URL only that member may be named.
	m = davtest.ParseMS(t, e.do(a, "REPORT", note(a, "work", "a.txt"), multigetBody("<D:getetag/>", note(a, "work", "a.txt"), note(a, "work", "b%20c.txt"))))
	if got := statuses(m); got[note(a, "work", "a.txt")] != 200 || got[note(a, "work", "b%20c.txt")] != 403 {
		t.Errorf("multiget on a member: %v", got)
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		cond             string
	}{
		{"no href", w, multigetBody("<D:getetag/>"), 400, ""},
		{"bad rendering request", w, multigetBody(`<N:note-data lines="0"/>`, note(a, "work", "a.txt")), 400, ""},
		{"another kind's multiget", w, strings.ReplaceAll(multigetBody("<D:getetag/>", note(a, "work", "a.txt")), "notes-multiget", "lists-multiget"), 403, "supported-report"},
		{"a CalDAV report", w, `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop/><D:href>x</D:href></C:calendar-multiget>`, 403, "supported-report"},
		{"on the root", "/dav/", multigetBody("<D:getetag/>", note(a, "work", "a.txt")), 403, "supported-report"},
		{"missing collection", book(a, "nope"), multigetBody("<D:getetag/>", note(a, "nope", "a.txt")), 404, ""},
		{"empty body", w, "", 400, ""},
		{"malformed body", w, "<N:notes-multiget", 400, ""},
	} {
		rec := e.do(a, "REPORT", tc.path, tc.body)
		if rec.Code != tc.status || (tc.cond != "" && !strings.Contains(rec.Body.String(), tc.cond)) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, rec.Code, rec.Body, tc.status, tc.cond)
		}
	}
}

// The kind's own reports are routed to Kind.Report with the target.
func TestKindReport(t *testing.T) {
	e := newEnv(t)
	a := e.alice
	e.mkbook(a, "work")
	e.mustPut(a, note(a, "work", "a.txt"), "uid-a\n")
	e.mustPut(a, note(a, "work", "b.txt"), "uid-b\n")
	body := `<N:note-index` + xmlns + `><D:prop><D:getetag/></D:prop></N:note-index>`
	if got := davtest.ParseMS(t, e.do(a, "REPORT", book(a, "work"), body)).Hrefs(); !slices.Equal(got, []string{note(a, "work", "a.txt"), note(a, "work", "b.txt")}) {
		t.Errorf("note-index on the notebook: %v", got)
	}
	if got := davtest.ParseMS(t, e.do(a, "REPORT", note(a, "work", "b.txt"), body)).Hrefs(); !slices.Equal(got, []string{note(a, "work", "b.txt")}) {
		t.Errorf("note-index on a member: %v", got)
	}
	davtest.WantError(t, e.do(a, "REPORT", note(a, "work", "zz.txt"), body), http.StatusNotFound, "")
}
