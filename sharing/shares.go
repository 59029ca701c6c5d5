package sharing

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/dav"
	"almanac/storage"
)

// SharesPath is where the sharing API is mounted.
const SharesPath = "/api/v1/shares"

// SharesAPI serves grants between accounts (JSON, behind
// authentication): the owner shares a collection with another account
// by login, read or read-write, lists, changes and revokes; a sharee
// lists what is shared with them and removes a share from their home.
type SharesAPI struct {
	store  storage.Store
	logger *slog.Logger
}

// NewSharesAPI returns the sharing API.
func NewSharesAPI(store storage.Store, logger *slog.Logger) *SharesAPI {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SharesAPI{store: store, logger: logger}
}

// ShareJSON is a grant as the API shows it.
type ShareJSON struct {
	Collection  string      `json:"collection"`
	Kind        string      `json:"kind"`
	Owner       AccountJSON `json:"owner"`
	Sharee      AccountJSON `json:"sharee"`
	Access      string      `json:"access"`
	ShowPrivate bool        `json:"show_private"`
	// Mount is the collection's name in the sharee's home, URL its DAV
	// URL there.
	Mount   string    `json:"mount"`
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// AccountJSON names an account: its stable handle and its login.
type AccountJSON struct {
	ID    string `json:"id"`
	Login string `json:"login"`
}

type shareRequest struct {
	Collection  optional[string] `json:"collection"`
	Login       optional[string] `json:"login"`
	Access      optional[string] `json:"access"`
	ShowPrivate optional[bool]   `json:"show_private"`
}

func (a *SharesAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := a.serve(w, r); err != nil {
		api.WriteError(w, r, a.logger, mapStoreError(err))
	}
}

func (a *SharesAPI) serve(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	if acc == nil {
		return errors.New("sharing: no authenticated account in context")
	}
	rest, ok := strings.CutPrefix(r.URL.Path, SharesPath)
	if !ok {
		return api.ErrNotFound
	}
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "":
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			return a.list(w, r, acc)
		case http.MethodPost:
			return a.create(w, r, acc)
		}
		return notAllowed(w, "GET, HEAD, POST")
	case len(parts) == 3 && parts[0] == "received":
		// /received/{owner}/{collection}: the sharee leaves a share.
		if r.Method != http.MethodDelete {
			return notAllowed(w, "DELETE")
		}
		if err := a.store.DeleteGrant(r.Context(), parts[1], parts[2], acc.ID); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	case len(parts) == 2:
		// /{collection}/{sharee}: the owner's grant.
		g, err := a.store.Grant(r.Context(), acc.ID, parts[0], parts[1])
		if err != nil {
			return err
		}
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			api.WriteJSON(w, http.StatusOK, a.view(r, g))
			return nil
		case http.MethodPatch:
			return a.update(w, r, g)
		case http.MethodDelete:
			if err := a.store.DeleteGrant(r.Context(), acc.ID, g.Collection, g.Sharee); err != nil {
				return err
			}
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		return notAllowed(w, "GET, HEAD, PATCH, DELETE")
	}
	return api.ErrNotFound
}

func (a *SharesAPI) list(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	ctx := r.Context()
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
			granted = append(granted, a.view(r, &gs[i]))
		}
	}
	received := []*ShareJSON{}
	gs, err := a.store.GrantsTo(ctx, acc.ID)
	if err != nil {
		return err
	}
	for i := range gs {
		received = append(received, a.view(r, &gs[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"granted": granted, "received": received})
	return nil
}

func (a *SharesAPI) create(w http.ResponseWriter, r *http.Request, acc *storage.Account) error {
	var req shareRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	ctx := r.Context()
	if !req.Collection.Set || req.Collection.V == "" {
		return api.Invalid("collection", "collection names the calendar or address book to share")
	}
	coll, err := a.store.Collection(ctx, acc.ID, req.Collection.V)
	if errors.Is(err, storage.ErrNotFound) {
		return api.Invalid("collection", "you have no calendar or address book named %q", req.Collection.V)
	}
	if err != nil {
		return err
	}
	if !req.Login.Set || req.Login.V == "" {
		return api.Invalid("login", "login names the account to share with")
	}
	sharee, err := a.store.AccountByLogin(ctx, req.Login.V)
	if errors.Is(err, storage.ErrNotFound) {
		return api.Invalid("login", "no account has the login %q", req.Login.V)
	}
	if err != nil {
		return err
	}
	if sharee.ID == acc.ID {
		return api.Invalid("login", "a collection cannot be shared with its owner")
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
		err = a.mount(r, g, acc)
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, status, a.view(r, g))
	return nil
}

// mount stores a new grant under the first free name in the sharee's
// home.
func (a *SharesAPI) mount(r *http.Request, g *storage.Grant, _ *storage.Account) error {
	return Mount(r.Context(), a.store, g)
}

func (a *SharesAPI) update(w http.ResponseWriter, r *http.Request, g *storage.Grant) error {
	var req shareRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if req.Collection.Set || req.Login.Set {
		field := "collection"
		if req.Login.Set {
			field = "login"
		}
		return api.Invalid(field, "a share's collection and sharee cannot change; revoke it and share again")
	}
	if err := applyShare(g, &req); err != nil {
		return err
	}
	if err := a.store.PutGrant(r.Context(), g); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.view(r, g))
	return nil
}

func applyShare(g *storage.Grant, req *shareRequest) error {
	if req.Access.Set {
		switch req.Access.V {
		case storage.AccessRead, storage.AccessReadWrite:
			g.Access = req.Access.V
		default:
			return api.Invalid("access", "access must be read or read-write")
		}
	}
	if req.ShowPrivate.Set {
		g.ShowPrivate = req.ShowPrivate.V && !req.ShowPrivate.Null
	}
	return nil
}

func (a *SharesAPI) view(r *http.Request, g *storage.Grant) *ShareJSON {
	ctx := r.Context()
	v := &ShareJSON{Collection: g.Collection, Access: g.Access, ShowPrivate: g.ShowPrivate, Mount: g.Mount,
		Created: g.Created, Updated: g.Updated, Owner: AccountJSON{ID: g.Owner}, Sharee: AccountJSON{ID: g.Sharee}}
	if o, err := a.store.Account(ctx, g.Owner); err == nil {
		v.Owner.Login = o.Login
	}
	if s, err := a.store.Account(ctx, g.Sharee); err == nil {
		v.Sharee.Login = s.Login
	}
	segment := "calendars"
	v.Kind = "calendar"
	if c, err := a.store.Collection(ctx, g.Owner, g.Collection); err == nil && c.Kind == storage.KindAddressBook {
		segment, v.Kind = "addressbooks", "addressbook"
	}
	v.URL = "/dav/" + segment + "/" + dav.EscapePath(g.Sharee) + "/" + dav.EscapePath(g.Mount) + "/"
	return v
}
