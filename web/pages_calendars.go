package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"almanac/internal/api"
	"almanac/internal/dav"
	"almanac/internal/remote"
	"almanac/storage"
)

var (
	propName  = xml.Name{Space: "DAV:", Local: "displayname"}
	propColor = xml.Name{Space: "http://apple.com/ns/ical/", Local: "calendar-color"}
)

// collectionView is a calendar or address book as the pages show it.
type collectionView struct {
	Name, Title, Color, Kind, Href string
	Objects                        int
	Owner                          string // for shares received: the owner's login
	Links                          []linkJSON
	Shares                         []shareJSON
}

func propText(c *storage.Collection, n xml.Name) string {
	v, ok := c.Props[dav.Clark(n)]
	if !ok {
		return ""
	}
	raw := dav.ParseStored(n, v)
	return raw.Text()
}

func (h *Handler) collection(p *page, c *storage.Collection) collectionView {
	v := collectionView{Name: c.Name, Title: propText(c, propName), Color: propText(c, propColor), Kind: c.Kind.String(),
		Href: absolute(p.r, h.opts.Hrefs.CollectionHref(c.Kind, p.Account.ID, c.Name))}
	if v.Title == "" {
		v.Title = c.Name
	}
	if len(v.Color) >= 7 {
		v.Color = v.Color[:7] // #RRGGBBAA as clients write it; the page shows the colour
	}
	return v
}

// linkJSON and shareJSON are the API's answers, as far as pages read them.
type linkJSON struct {
	ID         string `json:"id"`
	Collection string `json:"collection"`
	Kind       string `json:"kind"`
	Label      string `json:"label"`
	Tier       string `json:"tier"`
	Window     *struct {
		PastDays   *int `json:"past_days"`
		FutureDays *int `json:"future_days"`
	} `json:"window"`
	Expires   *time.Time `json:"expires"`
	URL       string     `json:"url"`
	Subscribe struct {
		Webcal  string `json:"webcal"`
		JCal    string `json:"jcal"`
		Google  string `json:"google"`
		Outlook string `json:"outlook"`
		Office  string `json:"outlook_office365"`
	} `json:"subscribe"`
	Created       time.Time  `json:"created"`
	FetchCount    uint64     `json:"fetch_count"`
	LastFetched   *time.Time `json:"last_fetched"`
	LastUserAgent string     `json:"last_user_agent"`
}

type accountRef struct {
	ID    string `json:"id"`
	Login string `json:"login"`
}

type shareJSON struct {
	Collection  string     `json:"collection"`
	Kind        string     `json:"kind"`
	Owner       accountRef `json:"owner"`
	Sharee      accountRef `json:"sharee"`
	Access      string     `json:"access"`
	ShowPrivate bool       `json:"show_private"`
	Mount       string     `json:"mount"`
	URL         string     `json:"url"`
	Name        string     `json:"-"`
}

type sharesJSON struct {
	Granted  []shareJSON `json:"granted"`
	Received []shareJSON `json:"received"`
}

type calendarsData struct {
	Own      []collectionView
	Received []shareJSON
}

func (h *Handler) calendarsView(w http.ResponseWriter, r *http.Request, p *page) error {
	p.Title, p.Nav = p.T("calendars.title"), "calendars"
	colls, err := h.opts.Store.ListCollections(r.Context(), p.Account.ID)
	if err != nil {
		return err
	}
	d := calendarsData{}
	for i := range colls {
		d.Own = append(d.Own, h.collection(p, &colls[i]))
	}
	var shares sharesJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/shares", nil, &shares); err != nil {
		return err
	}
	for _, s := range shares.Received {
		s.URL = absolute(r, s.URL)
		s.Name = s.Collection
		if c, err := h.opts.Store.Collection(r.Context(), s.Owner.ID, s.Collection); err == nil {
			s.Name = propText(c, propName)
			if s.Name == "" {
				s.Name = c.Name
			}
		}
		d.Received = append(d.Received, s)
	}
	p.Data = d
	if p.Form.Get("color") == "" {
		p.Form.Set("color", "#3b6fd4")
	}
	return h.render(w, p, "calendars")
}

// slug is a URL segment made from a display name: clients show the name,
// the URL only needs to be stable and readable.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		var r [4]byte
		rand.Read(r[:])
		out = "c-" + hex.EncodeToString(r[:])
	}
	return out
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	_, err := hex.DecodeString(c[1:])
	return err == nil
}

func (h *Handler) createCalendar(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	f := r.PostForm
	title := strings.TrimSpace(f.Get("displayname"))
	if title == "" {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "required", Field: "displayname", Message: "a name is required"}
	}
	color := f.Get("color")
	if color != "" && !validColor(color) {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_color", Field: "color", Message: "a colour is written #RRGGBB"}
	}
	kind := storage.KindCalendar
	if f.Get("kind") == "addressbook" {
		kind = storage.KindAddressBook
	} else if f.Get("kind") != "" && f.Get("kind") != "calendar" {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_field", Field: "kind", Message: "choose a calendar or an address book"}
	}
	colls, err := h.opts.Store.ListCollections(r.Context(), p.Account.ID)
	if err != nil {
		return "", err
	}
	name := slug(title)
	for i := 2; slices.ContainsFunc(colls, func(c storage.Collection) bool { return c.Name == name }); i++ {
		name = slug(title) + "-" + itoa(i)
	}
	props := "<D:displayname>" + dav.EscapeText(title) + "</D:displayname>"
	method, root := "MKCALENDAR", `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">`
	end := "</C:mkcalendar>"
	if kind == storage.KindCalendar && color != "" {
		props += "<A:calendar-color>" + color + "</A:calendar-color>"
	}
	if kind == storage.KindAddressBook {
		method, root, end = "MKCOL", `<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">`, "</D:mkcol>"
		props = "<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>" + props
	}
	body := `<?xml version="1.0" encoding="utf-8"?>` + root + "<D:set><D:prop>" + props + "</D:prop></D:set>" + end
	href := h.opts.Hrefs.CollectionHref(kind, p.Account.ID, name)
	if err := h.dav(r, p, method, href, body, nil, "displayname"); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(name) + "?done=created", nil
}

type calendarData struct {
	C       collectionView
	Tiers   []string
	Granted []shareJSON
}

func (h *Handler) ownCollection(r *http.Request, p *page) (*storage.Collection, error) {
	return h.opts.Store.Collection(r.Context(), p.Account.ID, r.PathValue("name"))
}

func (h *Handler) calendarView(w http.ResponseWriter, r *http.Request, p *page) error {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return err
	}
	v := h.collection(p, c)
	var links struct {
		Links []linkJSON `json:"links"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/links", nil, &links); err != nil {
		return err
	}
	for _, l := range links.Links {
		if l.Collection == c.Name {
			v.Links = append(v.Links, l)
		}
	}
	var shares sharesJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/shares", nil, &shares); err != nil {
		return err
	}
	for _, s := range shares.Granted {
		if s.Collection == c.Name {
			v.Shares = append(v.Shares, s)
		}
	}
	p.Title, p.Nav = v.Title, "calendars"
	p.Data = calendarData{C: v, Tiers: []string{"full", "limited", "busy"}}
	if p.Form.Get("displayname") == "" {
		p.Form.Set("displayname", v.Title)
	}
	if p.Form.Get("color") == "" {
		p.Form.Set("color", v.Color)
		if v.Color == "" {
			p.Form.Set("color", "#3b6fd4")
		}
	}
	return h.render(w, p, "calendar")
}

// updateCalendar renames and recolours with one PROPPATCH: both or
// neither.
func (h *Handler) updateCalendar(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	f := r.PostForm
	title := strings.TrimSpace(f.Get("displayname"))
	if title == "" {
		return "", &api.Error{Status: http.StatusBadRequest, Code: "required", Field: "displayname", Message: "a name is required"}
	}
	props := "<D:displayname>" + dav.EscapeText(title) + "</D:displayname>"
	if color := f.Get("color"); c.Kind == storage.KindCalendar && color != "" {
		if !validColor(color) {
			return "", &api.Error{Status: http.StatusBadRequest, Code: "invalid_color", Field: "color", Message: "a colour is written #RRGGBB"}
		}
		props += "<A:calendar-color>" + color + "</A:calendar-color>"
	}
	body := `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>` +
		props + "</D:prop></D:set></D:propertyupdate>"
	if err := h.dav(r, p, "PROPPATCH", h.opts.Hrefs.CollectionHref(c.Kind, p.Account.ID, c.Name), body, nil, "displayname"); err != nil {
		return "", err
	}
	return "/calendars/" + url.PathEscape(c.Name) + "?done=saved", nil
}

type deleteData struct {
	C               collectionView
	Objects, Shares int
	Links           int
}

// deleteCalendarView is the confirmation: it names what goes with the
// collection — its events or contacts, its public links, its shares.
func (h *Handler) deleteCalendarView(w http.ResponseWriter, r *http.Request, p *page) error {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return err
	}
	v := h.collection(p, c)
	d := deleteData{C: v}
	if err := h.opts.Store.List(r.Context(), p.Account.ID, c.Name, func(*storage.ObjectMeta) error { d.Objects++; return nil }); err != nil {
		return err
	}
	var links struct {
		Links []linkJSON `json:"links"`
	}
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/links", nil, &links); err != nil {
		return err
	}
	for _, l := range links.Links {
		if l.Collection == c.Name {
			d.Links++
		}
	}
	var shares sharesJSON
	if err := h.call(nil, r, p, http.MethodGet, "/api/v1/shares", nil, &shares); err != nil {
		return err
	}
	for _, s := range shares.Granted {
		if s.Collection == c.Name {
			d.Shares++
		}
	}
	p.Title, p.Nav, p.Data = p.T("delete.title", v.Title), "calendars", d
	return h.render(w, p, "calendar_delete")
}

func (h *Handler) deleteCalendar(w http.ResponseWriter, r *http.Request, p *page) (string, error) {
	c, err := h.ownCollection(r, p)
	if err != nil {
		return "", err
	}
	if err := h.dav(r, p, http.MethodDelete, h.opts.Hrefs.CollectionHref(c.Kind, p.Account.ID, c.Name), "", nil, ""); err != nil {
		return "", err
	}
	return "/calendars?done=deleted", nil
}

// absolute makes a path of this server a URL that apps can take: with
// the scheme and host the browser used (through a trusted proxy, its).
func absolute(r *http.Request, href string) string {
	if strings.HasPrefix(href, "/") {
		return remote.Of(r).BaseURL() + href
	}
	return href
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
