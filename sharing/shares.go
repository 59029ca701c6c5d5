package sharing

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/storage"
)

// SharesPath is where the sharing API is mounted.
const SharesPath = "/api/v1/shares"

// Hrefs builds the DAV URLs the API shows; the DAV tree is the one place
// that knows them.
type Hrefs interface {
	// CollectionHref is the URL of collection name in home's home of
	// kind.
	CollectionHref(kind storage.Kind, home, name string) string
}

// SharesAPI serves grants between accounts (JSON, behind
// authentication): the owner shares a collection with another account
// by login, read or read-write, lists, changes and revokes; a sharee
// lists what is shared with them and removes a share from their home.
type SharesAPI struct {
	store  Store
	hrefs  Hrefs
	logger *slog.Logger
}

// NewSharesAPI returns the sharing API.
func NewSharesAPI(store Store, hrefs Hrefs, logger *slog.Logger) *SharesAPI {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SharesAPI{store: store, hrefs: hrefs, logger: logger}
}

// ShareJSON is a grant as the API shows it.
type ShareJSON struct {
	Collection  string         `json:"collection"`
	Kind        string         `json:"kind"`
	Owner       api.AccountRef `json:"owner"`
	Sharee      api.AccountRef `json:"sharee"`
	Access      string         `json:"access"`
	ShowPrivate bool           `json:"show_private"`
	// Mount is the collection's name in the sharee's home, URL its DAV
	// URL there.
	Mount   string    `json:"mount"`
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

type shareRequest struct {
	Collection  api.Optional[string] `json:"collection"`
	Login       api.Optional[string] `json:"login"`
	Access      api.Optional[string] `json:"access"`
	ShowPrivate api.Optional[bool]   `json:"show_private"`
}

// Routes registers the sharing endpoints. Accounts in paths are named by
// handle, login or "me" (api.ResolveAccount).
func (a *SharesAPI) Routes(rt *api.Router) {
	rt.Handle("GET "+SharesPath, a.list)
	rt.Handle("POST "+SharesPath, a.create)
	rt.Handle("GET "+SharesPath+"/{collection}/{sharee}", a.show)
	rt.Handle("PATCH "+SharesPath+"/{collection}/{sharee}", a.update)
	rt.Handle("DELETE "+SharesPath+"/{collection}/{sharee}", a.revoke)
	rt.Handle("DELETE "+SharesPath+"/received/{owner}/{collection}", a.leave)
}

// grant returns the caller's grant the path names; another account's
// grant is ErrNotFound, like one that does not exist.
func (a *SharesAPI) grant(r *http.Request) (*storage.Grant, error) {
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	sharee, err := api.ResolveAccount(ctx, a.store, acc, r.PathValue("sharee"))
	if err != nil {
		return nil, err
	}
	return a.store.Grant(ctx, acc.ID, r.PathValue("collection"), sharee.ID)
}

func (a *SharesAPI) show(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.view(r.Context(), g))
	return nil
}

func (a *SharesAPI) revoke(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteGrant(r.Context(), g.Owner, g.Collection, g.Sharee); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// leave is the sharee removing a share from their home; the owner's
// collection stays.
func (a *SharesAPI) leave(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	owner, err := api.ResolveAccount(ctx, a.store, acc, r.PathValue("owner"))
	if err != nil {
		return err
	}
	if err := a.store.DeleteGrant(ctx, owner.ID, r.PathValue("collection"), acc.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *SharesAPI) list(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	colls, err := a.store.ListCollections(ctx, acc.ID)
	if err != nil {
		return err
	}
	granted := []*ShareJSON{}
	for _, c := range colls {
		gs, err := a.store.GrantsOf(ctx, acc.ID, c.Name)
		if err != nil {
			return err
		}
		for i := range gs {
			granted = append(granted, a.view(ctx, &gs[i]))
		}
	}
	received := []*ShareJSON{}
	gs, err := a.store.GrantsTo(ctx, acc.ID)
	if err != nil {
		return err
	}
	for i := range gs {
		received = append(received, a.view(ctx, &gs[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"granted": granted, "received": received})
	return nil
}

func (a *SharesAPI) create(w http.ResponseWriter, r *http.Request) error {
	var req shareRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	acc := auth.AccountFrom(ctx)
	if !req.Collection.Set || req.Collection.V == "" {
		return fault.Invalidf("collection", "collection names the calendar or address book to share")
	}
	coll, err := a.store.Collection(ctx, acc.ID, req.Collection.V)
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("collection", "you have no calendar or address book named %q", req.Collection.V)
	}
	if err != nil {
		return err
	}
	if !req.Login.Set || req.Login.V == "" {
		return fault.Invalidf("login", "login names the account to share with")
	}
	sharee, err := a.store.AccountByLogin(ctx, req.Login.V)
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("login", "no account has the login %q", req.Login.V)
	}
	if err != nil {
		return err
	}
	if sharee.ID == acc.ID {
		return fault.Invalidf("login", "a collection cannot be shared with its owner")
	}
	g := &storage.Grant{Owner: acc.ID, Collection: coll.Name, Sharee: sharee.ID, Access: storage.AccessRead}
	if err := applyShare(g, &req); err != nil {
		return err
	}
	status := http.StatusOK
	existing, err := a.store.Grant(ctx, acc.ID, coll.Name, sharee.ID)
	switch {
	case err == nil:
		g.Mount = existing.Mount
		err = a.store.PutGrant(ctx, g)
	case errors.Is(err, storage.ErrNotFound):
		status = http.StatusCreated
		err = Mount(ctx, a.store, g)
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, status, a.view(ctx, g))
	return nil
}

func (a *SharesAPI) update(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	var req shareRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if req.Collection.Set || req.Login.Set {
		field := "collection"
		if req.Login.Set {
			field = "login"
		}
		return fault.Invalidf(field, "a share's collection and sharee cannot change; revoke it and share again")
	}
	if err := applyShare(g, &req); err != nil {
		return err
	}
	if err := a.store.PutGrant(r.Context(), g); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.view(r.Context(), g))
	return nil
}

func applyShare(g *storage.Grant, req *shareRequest) error {
	if req.Access.Set {
		switch req.Access.V {
		case storage.AccessRead, storage.AccessReadWrite:
			g.Access = req.Access.V
		default:
			return fault.Invalidf("access", "access must be read or read-write")
		}
	}
	if req.ShowPrivate.Set {
		g.ShowPrivate = req.ShowPrivate.V && !req.ShowPrivate.Null
	}
	return nil
}

func (a *SharesAPI) view(ctx context.Context, g *storage.Grant) *ShareJSON {
	v := &ShareJSON{Collection: g.Collection, Access: g.Access, ShowPrivate: g.ShowPrivate, Mount: g.Mount,
		Created: g.Created, Updated: g.Updated, Owner: api.AccountRef{ID: g.Owner}, Sharee: api.AccountRef{ID: g.Sharee}}
	if o, err := a.store.Account(ctx, g.Owner); err == nil {
		v.Owner.Login = o.Login
	}
	if s, err := a.store.Account(ctx, g.Sharee); err == nil {
		v.Sharee.Login = s.Login
	}
	kind := storage.KindCalendar
	if c, err := a.store.Collection(ctx, g.Owner, g.Collection); err == nil {
		kind = c.Kind
	}
	v.Kind = kind.String()
	v.URL = a.hrefs.CollectionHref(kind, g.Sharee, g.Mount)
	return v
}
