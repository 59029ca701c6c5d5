package davtree

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/internal/dav"
	"almanac/internal/fault"
	"almanac/storage"
)

// Prefix is where the DAV tree is mounted.
const Prefix = "/dav/"

// DefaultMaxResourceSize caps one member. Objects with inline attachments
// or photos reach a few MB; 10 MiB is Radicale's order of magnitude
// without letting one PUT exhaust memory.
const DefaultMaxResourceSize = 10 << 20

// Store is what the tree reads and writes: collections and objects,
// the grants that mount shared collections, and accounts for principals.
type Store interface {
	storage.DAV
	storage.Sharing
	storage.Accounts
}

// Tree serves the /dav/ tree: principals, and the homes, collections and
// members of every registered Kind.
type Tree struct {
	store     Store
	logger    *slog.Logger
	maxSize   int64
	kinds     []Kind
	principal func(context.Context) *storage.Account
	grant     func(ctx context.Context, owner, coll, sharee, access string) error
	resolved  func(context.Context, Type)
	sched     Scheduler
	davHeader string
	protected map[xml.Name]bool
	// mkcolMethods are MKCOL and the kinds' own creation methods.
	mkcolMethods map[string]bool
	reports      *ReportPool
}

// Options configures a Tree.
type Options struct {
	Logger          *slog.Logger
	MaxResourceSize int64 // 0: DefaultMaxResourceSize
	// Principal returns the account a request was authenticated as (the
	// authentication middleware put it in the context); nil refuses the
	// request. Required: the tree does not authenticate.
	Principal func(context.Context) *storage.Account
	// Share gives sharee access to the owner's collection, or changes the
	// access of an existing grant, for CalendarServer sharing requests:
	// the same domain rule the JSON API follows (package sharing). Nil
	// refuses such requests.
	Share func(ctx context.Context, owner, coll, sharee, access string) error
	// Resolved, when set, is told the type of resource each request's
	// URL names once it is resolved: metrics count DAV requests by
	// method and resource type, never by a path that holds names. A
	// request whose URL does not resolve is not reported.
	Resolved func(context.Context, Type)
	// Reports bounds the kinds' own REPORTs (queries, free-busy) that
	// run at once, server-wide (ReportPool); nil: no bound.
	Reports *ReportPool
	// Scheduler, when set, does implicit scheduling (RFC 6638) for
	// calendars: the DAV header then advertises calendar-auto-schedule.
	Scheduler Scheduler
}

// New returns the tree serving kinds.
func New(store Store, opts Options, kinds ...Kind) *Tree {
	if opts.Principal == nil {
		panic("davtree: Options.Principal is required")
	}
	t := &Tree{store: store, logger: opts.Logger, maxSize: opts.MaxResourceSize, kinds: kinds, principal: opts.Principal, grant: opts.Share, resolved: opts.Resolved, reports: opts.Reports, sched: opts.Scheduler}
	if t.logger == nil {
		t.logger = slog.New(slog.DiscardHandler)
	}
	if t.maxSize <= 0 {
		t.maxSize = DefaultMaxResourceSize
	}
	// DAV compliance classes: RFC 4918 18, RFC 5689 3.1, RFC 3744 7.2,
	// CalendarServer sharing (share.go), then the kinds' (RFC 4791 5.1,
	// RFC 6352 6.1).
	classes := []string{"1", "3", "extended-mkcol", "access-control", "calendarserver-sharing"}
	t.protected = map[xml.Name]bool{}
	t.mkcolMethods = map[string]bool{"MKCOL": true}
	for _, n := range slices.Concat(commonCollectionLive, memberLive, principalLive, []xml.Name{pInvite, pSharedURL}) {
		t.protected[n] = true
	}
	for _, k := range kinds {
		s := k.Spec()
		classes = append(classes, s.DAVClass)
		if s.MkcolMethod != "" {
			t.mkcolMethods[s.MkcolMethod] = true
		}
		for _, n := range slices.Concat(s.CollectionLive, s.PrincipalLive, []xml.Name{s.DataProp}) {
			t.protected[n] = true
		}
	}
	if t.sched != nil {
		// RFC 6638 2.
		classes = append(classes, "calendar-auto-schedule")
		for _, n := range []xml.Name{pScheduleTag, pScheduleInboxURL, pScheduleOutboxURL, pScheduleDefaultCal} {
			t.protected[n] = true
		}
	}
	t.davHeader = strings.Join(classes, ", ")
	return t
}

// MaxResourceSize is the size cap of one member.
func (tr *Tree) MaxResourceSize() int64 { return tr.maxSize }

func (tr *Tree) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t, err := tr.serve(w, r)
	if err == nil {
		return
	}
	err = MapError(err)
	var de *dav.Error
	if t != nil && errors.As(err, &de) && de.Status == http.StatusMethodNotAllowed {
		// RFC 9110 15.5.6: a 405 names what the resource does allow.
		w.Header().Set("Allow", t.allow())
	}
	dav.WriteError(w, r, tr.logger, err)
}

func (tr *Tree) serve(w http.ResponseWriter, r *http.Request) (*Target, error) {
	acc := tr.principal(r.Context())
	if acc == nil {
		return nil, errors.New("davtree: no authenticated account in context")
	}
	t, err := tr.resolve(r.Context(), acc, r.URL.EscapedPath())
	if err != nil {
		return nil, err
	}
	if tr.resolved != nil {
		tr.resolved(r.Context(), t.Type)
	}
	w.Header().Set("DAV", tr.davHeader)
	if len(r.Header.Values("If")) > 0 {
		if err := tr.checkIf(r, t); err != nil {
			return t, err
		}
	}
	return t, tr.dispatch(w, r, t)
}

func (tr *Tree) dispatch(w http.ResponseWriter, r *http.Request, t *Target) error {
	if t.Type == Notifications || t.Type == Notification {
		return tr.notifications(w, r, t)
	}
	if tr.mkcolMethods[r.Method] {
		// Allow names the kind's method, so it is served like MKCOL;
		// mkcol answers 405 where it is another kind's.
		return tr.mkcol(w, r, t)
	}
	switch r.Method {
	case http.MethodOptions:
		w.Header().Set("Allow", t.allow())
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return nil
	case "PROPFIND":
		return tr.propfind(w, r, t)
	case "PROPPATCH":
		return tr.proppatch(w, r, t)
	case "REPORT":
		return tr.report(w, r, t)
	case http.MethodGet, http.MethodHead:
		return tr.get(w, r, t)
	case http.MethodPut:
		return tr.put(w, r, t)
	case http.MethodDelete:
		return tr.delete(w, r, t)
	case "MOVE", "COPY":
		return tr.transfer(w, r, t)
	case http.MethodPost:
		return tr.post(w, r, t)
	}
	return dav.NewError(http.StatusNotImplemented, "method not implemented")
}

// Type is the type of resource a URL names.
type Type int

const (
	Root          Type = iota // /dav/
	Principals                // /dav/principals/
	Principal                 // /dav/principals/{user}/
	Homes                     // /dav/{segment}/
	Home                      // /dav/{segment}/{user}/
	Collection                // /dav/{segment}/{user}/{collection}/
	Member                    // /dav/{segment}/{user}/{collection}/{member}
	Notifications             // /dav/notifications/{user}/
	Notification              // /dav/notifications/{user}/{name}
)

var typeNames = [...]string{"root", "principals", "principal", "homes", "home", "collection", "member", "notifications", "notification"}

// String names the type in lower case, as metrics label it.
func (t Type) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Target is a resolved request URL. Coll is nil when the collection does
// not exist (MKCOL, or a PUT that must answer 409).
//
// A collection shared with the user appears in their home under the
// grant's mount name: URLName is that name, while Owner and CollName
// name the stored collection, and Grant says what the user may do.
type Target struct {
	Type     Type
	Kind     Kind             // nil above the homes
	Account  *storage.Account // the authenticated user
	Owner    string           // account ID of the collection's owner
	CollName string           // the collection's stored name
	URLName  string           // the collection's URL segment in the user's home
	Coll     *storage.Collection
	Grant    *storage.Grant // nil for the user's own collections
	// Principal is the account of another user's principal the user may
	// see (they share something with the user); nil for the user's own.
	Principal *storage.Account
	ObjName   string
	tree      *Tree
	// otherKind: a collection of another kind holds CollName.
	otherKind bool
	rootHref  string // set when the root is reached through "/" instead of Prefix
}

// allow lists the methods a resource serves (Allow on OPTIONS and 405).
func (t *Target) allow() string {
	switch t.Type {
	case Collection:
		if t.Coll == nil {
			if m := t.Kind.Spec().MkcolMethod; m != "" {
				return "OPTIONS, " + m + ", MKCOL"
			}
			return "OPTIONS, MKCOL"
		}
		return "OPTIONS, PROPFIND, PROPPATCH, REPORT, DELETE, MOVE, POST"
	case Home:
		return "OPTIONS, PROPFIND, REPORT, POST"
	case Notifications:
		return "OPTIONS, PROPFIND"
	case Notification:
		return "OPTIONS, GET, HEAD, PROPFIND, DELETE"
	case Member:
		if t.Coll == nil {
			return "OPTIONS"
		}
		return "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, REPORT, COPY, MOVE"
	}
	return "OPTIONS, PROPFIND, REPORT"
}

// kindOfMethod is the kind whose own creation method is method, nil for
// none.
func (tr *Tree) kindOfMethod(method string) Kind {
	for _, k := range tr.kinds {
		if k.Spec().MkcolMethod == method {
			return k
		}
	}
	return nil
}

func (tr *Tree) kindAt(segment string) Kind {
	for _, k := range tr.kinds {
		if k.Spec().Segment == segment {
			return k
		}
	}
	return nil
}

func (tr *Tree) resolve(ctx context.Context, acc *storage.Account, escaped string) (*Target, error) {
	t := &Target{Account: acc, Owner: acc.ID, tree: tr}
	if escaped == "/" {
		// Clients given only the server's address (Thunderbird, GNOME)
		// ask the root for current-user-principal before trying
		// /.well-known; answering saves them the detour.
		t.Type, t.rootHref = Root, "/"
		return t, nil
	}
	segs, _, err := dav.SplitPath(escaped, strings.TrimSuffix(Prefix, "/"))
	if err != nil {
		return nil, err
	}
	if len(segs) == 0 {
		t.Type = Root
		return t, nil
	}
	if segs[0] == "notifications" {
		if len(segs) < 2 || len(segs) > 3 || segs[1] != acc.ID {
			return nil, dav.ErrNotFound
		}
		t.Type = Notifications
		if len(segs) == 3 {
			t.Type, t.ObjName = Notification, segs[2]
		}
		return t, nil
	}
	if segs[0] == "principals" {
		switch {
		case len(segs) == 1:
			t.Type = Principals
			return t, nil
		case len(segs) == 2 && segs[1] == acc.ID:
			t.Type = Principal
			return t, nil
		case len(segs) == 2:
			// Someone who shares a collection with the user is
			// visible to them, so clients can show who shared it;
			// anyone else answers 404 like a handle that does not
			// exist.
			other, err := tr.sharer(ctx, acc.ID, segs[1])
			if err != nil {
				return nil, err
			}
			t.Type, t.Principal = Principal, other
			return t, nil
		}
		return nil, dav.ErrNotFound
	}
	k := tr.kindAt(segs[0])
	if k == nil {
		return nil, dav.ErrNotFound
	}
	t.Kind = k
	if len(segs) == 1 {
		t.Type = Homes
		return t, nil
	}
	if segs[1] != acc.ID || len(segs) > 4 {
		// Other users' trees answer 404 whether or not they exist.
		return nil, dav.ErrNotFound
	}
	t.Type = Home
	if len(segs) == 2 {
		return t, nil
	}
	t.Type = Collection
	if err := tr.openCollection(ctx, t, segs[2]); err != nil {
		return nil, err
	}
	if len(segs) == 4 {
		t.Type = Member
		t.ObjName = segs[3]
	}
	return t, nil
}

// openCollection points t, a collection target of the user's home, at
// the collection whose URL segment there is name: the user's own, or one
// shared with them and mounted under that name. t.Coll stays nil when
// there is none of t's kind.
func (tr *Tree) openCollection(ctx context.Context, t *Target, name string) error {
	t.CollName, t.URLName = name, name
	c, err := tr.store.Collection(ctx, t.Account.ID, name)
	if errors.Is(err, storage.ErrNotFound) && tr.schedules(t) && name == tr.sched.Inbox() {
		// Every scheduling user has an inbox (RFC 6638 2.2), also one
		// who was never sent anything.
		if err = tr.sched.EnsureInbox(ctx, t.Account.ID); err != nil {
			return err
		}
		c, err = tr.store.Collection(ctx, t.Account.ID, name)
	}
	if errors.Is(err, storage.ErrNotFound) {
		c, err = tr.mounted(ctx, t, name)
	}
	switch {
	case err == nil && c.Kind == t.Kind.Spec().StorageKind,
		err == nil && c.Kind == storage.KindScheduleInbox && tr.schedules(t) && t.Grant == nil:
		t.Coll = c
	case err == nil:
		// A collection of another kind is not reachable through this
		// kind's home (names are unique per account across kinds): it
		// is absent here, and MKCOL says why the name cannot be used.
		t.otherKind = true
	case !errors.Is(err, storage.ErrNotFound):
		return err
	}
	return nil
}

// sharer returns account id when it shares a collection with user;
// ErrNotFound (dav) otherwise, the same as for a handle nobody has.
func (tr *Tree) sharer(ctx context.Context, user, id string) (*storage.Account, error) {
	grants, err := tr.store.GrantsTo(ctx, user)
	if err != nil {
		return nil, err
	}
	for _, g := range grants {
		if g.Owner == id {
			return tr.store.Account(ctx, id)
		}
	}
	if tr.sched != nil {
		// Whom principal search finds can be looked at, so that a
		// client shows the colleague it completed.
		people, err := tr.sched.People(ctx, &storage.Account{ID: user})
		if err != nil {
			return nil, err
		}
		for i := range people {
			if people[i].ID == id && id != user {
				return &people[i], nil
			}
		}
	}
	return nil, dav.ErrNotFound
}

// mounted looks name up among the collections shared with the user and,
// when it is one, points t at the owner's collection.
func (tr *Tree) mounted(ctx context.Context, t *Target, name string) (*storage.Collection, error) {
	g, err := tr.store.GrantByMount(ctx, t.Account.ID, name)
	if err != nil {
		return nil, err
	}
	c, err := tr.store.Collection(ctx, g.Owner, g.Collection)
	if err != nil {
		return nil, err
	}
	t.Owner, t.CollName, t.Grant = g.Owner, g.Collection, g
	return c, nil
}

// Hrefs of the tree; every href is built here.

// PrincipalHref is the URL of a user's principal.
func PrincipalHref(id string) string { return Prefix + "principals/" + dav.EscapePath(id) + "/" }

// NotificationsHref is the URL of a user's notification collection.
func NotificationsHref(id string) string { return Prefix + "notifications/" + dav.EscapePath(id) + "/" }

// HomeHref is the URL of a user's home of a kind.
func HomeHref(k Kind, id string) string {
	return Prefix + k.Spec().Segment + "/" + dav.EscapePath(id) + "/"
}

// PrincipalHref is PrincipalHref as a method, for packages that are
// handed the tree as their builder of DAV URLs.
func (tr *Tree) PrincipalHref(id string) string { return PrincipalHref(id) }

// CollectionHref is the URL of collection name in home's home of the
// kind that stores kind; "" when no registered Kind does.
func (tr *Tree) CollectionHref(kind storage.Kind, home, name string) string {
	for _, k := range tr.kinds {
		if k.Spec().StorageKind == kind {
			return HomeHref(k, home) + dav.EscapePath(name) + "/"
		}
	}
	return ""
}

// CollectionHref is the URL of the collection t names or lies in.
func (t *Target) CollectionHref() string {
	return HomeHref(t.Kind, t.Account.ID) + dav.EscapePath(t.URLName) + "/"
}

// MemberHref is the URL of member name of t's collection.
func (t *Target) MemberHref(name string) string {
	return t.CollectionHref() + dav.EscapePath(name)
}

// Href is the URL of the resource t names.
func (t *Target) Href() string {
	switch t.Type {
	case Root:
		if t.rootHref != "" {
			return t.rootHref
		}
		return Prefix
	case Principals:
		return Prefix + "principals/"
	case Principal:
		if t.Principal != nil {
			return PrincipalHref(t.Principal.ID)
		}
		return PrincipalHref(t.Account.ID)
	case Notifications:
		return NotificationsHref(t.Account.ID)
	case Notification:
		return NotificationsHref(t.Account.ID) + dav.EscapePath(t.ObjName)
	case Homes:
		return Prefix + t.Kind.Spec().Segment + "/"
	case Home:
		return HomeHref(t.Kind, t.Account.ID)
	case Collection:
		return t.CollectionHref()
	}
	return t.MemberHref(t.ObjName)
}

// faultStatus is WebDAV's reading of a domain fault: a conflict with
// stored state is 409 as for MKCOL (RFC 4918 9.3.1), refusals 403.
func faultStatus(k fault.Kind) int {
	switch k {
	case fault.Invalid:
		return http.StatusBadRequest
	case fault.Unauthenticated:
		return http.StatusUnauthorized
	case fault.Forbidden, fault.Limit:
		return http.StatusForbidden
	case fault.NotFound:
		return http.StatusNotFound
	case fault.Conflict:
		return http.StatusConflict
	case fault.Throttled:
		return http.StatusTooManyRequests
	case fault.Unprocessable:
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// MapError turns storage errors and domain faults into protocol errors; everything else
// passes through to dav.WriteError, the one renderer.
func MapError(err error) error {
	var de *dav.Error
	if errors.As(err, &de) {
		return err
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return &dav.Error{Status: http.StatusNotFound, Message: "not found", Err: err}
	case errors.Is(err, storage.ErrPreconditionFailed):
		return &dav.Error{Status: http.StatusPreconditionFailed, Message: "precondition failed: the resource changed or exists", Err: err}
	case errors.Is(err, storage.ErrInvalidSyncToken):
		return &dav.Error{Status: http.StatusForbidden, Condition: dav.CondValidSyncToken, Message: "unknown or expired sync token; start over with an empty token", Err: err}
	case errors.Is(err, storage.ErrExists):
		return &dav.Error{Status: http.StatusMethodNotAllowed, Message: "resource already exists", Err: err}
	case errors.Is(err, storage.ErrUnavailable):
		return &dav.Error{Status: http.StatusServiceUnavailable, Message: "the database is unavailable; retry later", Err: err,
			Headers: map[string]string{"Retry-After": strconv.FormatInt(int64(storage.RetryUnavailable/time.Second), 10)}}
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		e := &dav.Error{Status: faultStatus(fe.Kind), Message: fe.Message, Err: err}
		if fe.Kind == fault.Throttled {
			e.Headers = map[string]string{"Retry-After": strconv.FormatInt(max(int64((fe.RetryAfter+time.Second-1)/time.Second), 1), 10)}
		}
		return e
	}
	return err
}

// Abort handles an error in the middle of a streamed multistatus: the
// 207 status is already on the wire, so the error can only be logged and
// the connection cut, which tells the client the body is incomplete.
// Before the first byte it returns err for the renderer.
func Abort(logger *slog.Logger, ms *dav.Multistatus, err error) error {
	if !ms.Started() {
		return err
	}
	// Most often the client went away mid-listing, so this is a warning.
	logger.WarnContext(ms.Context(), "multistatus aborted", "err", err)
	panic(http.ErrAbortHandler)
}
