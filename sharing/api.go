package sharing

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"almanac/auth"
	"almanac/internal/api"
	"almanac/internal/fault"
	"almanac/internal/remote"
	"almanac/storage"
)

// LinksPath is where the public-link API is mounted.
const LinksPath = "/api/v1/links"

// Limits of public links.
const (
	MaxLinksPerAccount = 100
	MaxLabel           = 100  // characters
	MaxWindowDays      = 3660 // ten years either way
)

// FeedState is what the feed server knows about links that the store does
// not yet: fetches counted in memory, and rendered feeds to drop when a
// link is revoked.
type FeedState interface {
	Pending(id string) storage.FetchStat
	Forget(id string)
}

// Store is what the sharing API reads and writes: the caller's
// collections, links and grants, and accounts by login.
type Store interface {
	storage.Accounts
	storage.DAV
	storage.Sharing
}

// LinksAPI serves the owner's management of public links (JSON, behind
// authentication): create, list, show, update, rotate, revoke.
type LinksAPI struct {
	store  Store
	keys   *Keyring
	feeds  FeedState
	logger *slog.Logger
	// PublicURL is the server's external base URL ("https://cal.example.com");
	// empty: taken from each request.
	publicURL string
	now       func() time.Time
}

// APIOptions configures a LinksAPI.
type APIOptions struct {
	Logger    *slog.Logger
	PublicURL string
	Now       func() time.Time
}

// NewLinksAPI returns the link management API.
func NewLinksAPI(store Store, keys *Keyring, feeds FeedState, opts APIOptions) *LinksAPI {
	a := &LinksAPI{store: store, keys: keys, feeds: feeds, logger: opts.Logger, publicURL: strings.TrimSuffix(opts.PublicURL, "/"), now: opts.Now}
	if a.logger == nil {
		a.logger = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a
}

// LinkJSON is a link as the API shows it.
type LinkJSON struct {
	ID            string     `json:"id"`
	Collection    string     `json:"collection"`
	Kind          string     `json:"kind"`
	Label         string     `json:"label"`
	Tier          string     `json:"tier"`
	Components    []string   `json:"components"`
	Window        *Window    `json:"window"`
	Expires       *time.Time `json:"expires"`
	URL           string     `json:"url"`
	Subscribe     Subscribe  `json:"subscribe"`
	Created       time.Time  `json:"created"`
	Updated       time.Time  `json:"updated"`
	FetchCount    uint64     `json:"fetch_count"`
	LastFetched   *time.Time `json:"last_fetched"`
	LastUserAgent string     `json:"last_user_agent"`
}

// Window is a link's time window in days around the day of each fetch;
// a missing side is unbounded.
type Window struct {
	PastDays   *int `json:"past_days"`
	FutureDays *int `json:"future_days"`
}

// Subscribe holds ready-made subscription URLs of a calendar link.
type Subscribe struct {
	Webcal  string `json:"webcal,omitempty"`
	JCal    string `json:"jcal,omitempty"`
	Google  string `json:"google,omitempty"`
	Outlook string `json:"outlook,omitempty"`
	Office  string `json:"outlook_office365,omitempty"`
}

// linkRequest is the body of create and update.
type linkRequest struct {
	Collection api.Optional[string]    `json:"collection"`
	Label      api.Optional[string]    `json:"label"`
	Tier       api.Optional[string]    `json:"tier"`
	Components api.Optional[[]string]  `json:"components"`
	Window     api.Optional[Window]    `json:"window"`
	Expires    api.Optional[time.Time] `json:"expires"`
}

// Routes registers the link endpoints.
func (a *LinksAPI) Routes(rt *api.Router) {
	rt.Handle("GET "+LinksPath, a.list)
	rt.Handle("POST "+LinksPath, a.create)
	rt.Handle("GET "+LinksPath+"/{id}", a.show)
	rt.Handle("PATCH "+LinksPath+"/{id}", a.update)
	rt.Handle("DELETE "+LinksPath+"/{id}", a.revoke)
	rt.Handle("POST "+LinksPath+"/{id}/rotate", a.rotate)
}

// owned returns link id when acc owns it; another account's link is
// ErrNotFound, as a link that does not exist.
func (a *LinksAPI) owned(r *http.Request) (*storage.Link, error) {
	l, err := a.store.Link(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if l.Owner != auth.AccountFrom(r.Context()).ID {
		return nil, storage.ErrNotFound
	}
	return l, nil
}

func (a *LinksAPI) show(w http.ResponseWriter, r *http.Request) error {
	l, err := a.owned(r)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.view(r, l))
	return nil
}

func (a *LinksAPI) list(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	links, err := a.store.ListLinks(r.Context(), acc.ID)
	if err != nil {
		return err
	}
	out := make([]*LinkJSON, 0, len(links))
	for i := range links {
		out = append(out, a.view(r, &links[i]))
	}
	api.WriteJSON(w, http.StatusOK, map[string]any{"links": out})
	return nil
}

func (a *LinksAPI) create(w http.ResponseWriter, r *http.Request) error {
	acc := auth.AccountFrom(r.Context())
	var req linkRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if !req.Collection.Set || req.Collection.Null || req.Collection.V == "" {
		return fault.Invalidf("collection", "collection names the calendar or address book to publish")
	}
	ctx := r.Context()
	coll, err := a.store.Collection(ctx, acc.ID, req.Collection.V)
	if errors.Is(err, storage.ErrNotFound) {
		return fault.Invalidf("collection", "you have no calendar or address book named %q", req.Collection.V)
	}
	if err != nil {
		return err
	}
	existing, err := a.store.ListLinks(ctx, acc.ID)
	if err != nil {
		return err
	}
	if len(existing) >= MaxLinksPerAccount {
		return fault.New(fault.Limit, "too_many_links", "an account has at most %d public links; revoke one first", MaxLinksPerAccount)
	}
	l := &storage.Link{ID: NewLinkID(), Owner: acc.ID, Collection: coll.Name, Tier: TierFull}
	if err := a.apply(l, coll.Kind, &req); err != nil {
		return err
	}
	if err := a.store.CreateLink(ctx, l); err != nil {
		return err
	}
	w.Header().Set("Location", LinksPath+"/"+l.ID)
	api.WriteJSON(w, http.StatusCreated, a.view(r, l))
	return nil
}

func (a *LinksAPI) update(w http.ResponseWriter, r *http.Request) error {
	l, err := a.owned(r)
	if err != nil {
		return err
	}
	var req linkRequest
	if err := api.Decode(r, &req); err != nil {
		return err
	}
	if req.Collection.Set {
		return fault.Invalidf("collection", "a link's collection cannot change; create another link")
	}
	coll, err := a.store.Collection(r.Context(), l.Owner, l.Collection)
	if err != nil {
		return err
	}
	if err := a.apply(l, coll.Kind, &req); err != nil {
		return err
	}
	if err := a.store.UpdateLink(r.Context(), l); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, a.view(r, l))
	return nil
}

// rotate replaces a link by one with the same settings and a new URL: the
// old URL stops working at once.
func (a *LinksAPI) rotate(w http.ResponseWriter, r *http.Request) error {
	old, err := a.owned(r)
	if err != nil {
		return err
	}
	l := *old
	l.ID = NewLinkID()
	if err := a.store.ReplaceLink(r.Context(), old.ID, &l); err != nil {
		return err
	}
	a.feeds.Forget(old.ID)
	w.Header().Set("Location", LinksPath+"/"+l.ID)
	api.WriteJSON(w, http.StatusCreated, a.view(r, &l))
	return nil
}

func (a *LinksAPI) revoke(w http.ResponseWriter, r *http.Request) error {
	l, err := a.owned(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteLink(r.Context(), l.ID); err != nil {
		return err
	}
	a.feeds.Forget(l.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apply validates the fields req sets and writes them into l.
func (a *LinksAPI) apply(l *storage.Link, kind storage.Kind, req *linkRequest) error {
	if req.Label.Set {
		label := strings.TrimSpace(req.Label.V)
		if utf8.RuneCountInString(label) > MaxLabel || strings.ContainsFunc(label, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return fault.Invalidf("label", "label must be at most %d characters without control characters", MaxLabel)
		}
		l.Label = label
	}
	if req.Tier.Set {
		if req.Tier.Null || !slices.Contains(Tiers, req.Tier.V) {
			return fault.Invalidf("tier", "tier must be one of full, limited, busy")
		}
		l.Tier = req.Tier.V
	}
	if req.Components.Set {
		if req.Components.Null || len(req.Components.V) == 0 {
			l.Components = nil
		} else {
			var comps []string
			for _, c := range req.Components.V {
				c = strings.ToUpper(strings.TrimSpace(c))
				if c != "VEVENT" && c != "VTODO" && c != "VJOURNAL" {
					return fault.Invalidf("components", "components may list VEVENT, VTODO and VJOURNAL; %q is none of them", c)
				}
				if !slices.Contains(comps, c) {
					comps = append(comps, c)
				}
			}
			l.Components = comps
		}
	}
	if req.Window.Set {
		l.PastDays, l.FutureDays = nil, nil
		if !req.Window.Null {
			for _, d := range []*int{req.Window.V.PastDays, req.Window.V.FutureDays} {
				if d != nil && (*d < 0 || *d > MaxWindowDays) {
					return fault.Invalidf("window", "window days must be between 0 and %d", MaxWindowDays)
				}
			}
			l.PastDays, l.FutureDays = req.Window.V.PastDays, req.Window.V.FutureDays
		}
	}
	if req.Expires.Set {
		l.Expires = time.Time{}
		if !req.Expires.Null {
			if !req.Expires.V.After(a.now()) {
				return fault.Invalidf("expires", "expires must be in the future")
			}
			l.Expires = req.Expires.V.UTC()
		}
	}
	if kind == storage.KindAddressBook && (l.Tier != TierFull || l.Components != nil || l.PastDays != nil || l.FutureDays != nil) {
		return fault.Invalidf("tier", "address-book links publish every card in full: tier, components and window do not apply")
	}
	return nil
}

// view renders l for its owner, with its URL and fetch statistics
// (stored plus not yet written).
func (a *LinksAPI) view(r *http.Request, l *storage.Link) *LinkJSON {
	kind, prefix := "calendar", "/ics/"
	coll, err := a.store.Collection(r.Context(), l.Owner, l.Collection)
	if err == nil && coll.Kind == storage.KindAddressBook {
		kind, prefix = "addressbook", "/vcf/"
	}
	base := a.publicURL
	if base == "" {
		base = remote.Of(r).BaseURL()
	}
	feed := base + prefix + a.keys.Token(l.ID)
	v := &LinkJSON{
		ID: l.ID, Collection: l.Collection, Kind: kind, Label: l.Label, Tier: l.Tier, Components: l.Components,
		URL: feed, Created: l.Created, Updated: l.Updated, FetchCount: l.Fetches, LastUserAgent: l.LastUserAgent,
	}
	if v.Components == nil {
		v.Components = []string{}
	}
	if l.PastDays != nil || l.FutureDays != nil {
		v.Window = &Window{PastDays: l.PastDays, FutureDays: l.FutureDays}
	}
	if !l.Expires.IsZero() {
		v.Expires = &l.Expires
	}
	last := l.LastFetched
	if p := a.feeds.Pending(l.ID); p.Count > 0 {
		v.FetchCount += p.Count
		if p.Last.After(last) {
			last, v.LastUserAgent = p.Last, p.UserAgent
		}
	}
	if !last.IsZero() {
		v.LastFetched = &last
	}
	if kind == "calendar" {
		// A base without a scheme is refused at start (cmd/almanac);
		// should one get here anyway, a wrong link beats a panic.
		webcal := "webcal://" + feed
		if _, rest, ok := strings.Cut(feed, "://"); ok {
			webcal = "webcal://" + rest
		}
		name := l.Label
		if name == "" {
			name = l.Collection
		}
		v.Subscribe = Subscribe{
			Webcal:  webcal,
			JCal:    feed + ".json",
			Google:  "https://calendar.google.com/calendar/r?cid=" + url.QueryEscape(webcal),
			Outlook: "https://outlook.live.com/calendar/0/addfromweb?url=" + url.QueryEscape(feed) + "&name=" + url.QueryEscape(name),
			Office:  "https://outlook.office.com/calendar/0/addfromweb?url=" + url.QueryEscape(feed) + "&name=" + url.QueryEscape(name),
		}
	}
	return v
}
