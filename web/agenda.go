package web

import (
	"errors"
	"net/http"
	"sort"
	"strings"
	"time"

	goical "github.com/emersion/go-ical"

	"almanac/internal/api"
	"almanac/internal/ical"
	"almanac/publish"
	"almanac/storage"
)

// AgendaDays is how far ahead the public agenda page looks.
const AgendaDays = 28

// maxAgendaItems caps the instances one page lists.
const maxAgendaItems = 500

type agendaItem struct {
	Start, End time.Time
	AllDay     bool
	Summary    string
	Location   string
}

type agendaDay struct {
	Day   time.Time
	Items []agendaItem
}

type agendaData struct {
	Title     string
	Days      []agendaDay
	Truncated bool
	ICS       string
	From, To  time.Time
}

// IsAgenda tells whether r asks for a public agenda page: a calendar
// feed's path with .html instead of .ics.
func IsAgenda(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, publish.CalendarPrefix) && strings.HasSuffix(r.URL.Path, ".html")
}

// Agenda serves /ics/{token}.html: the coming weeks of a public link as
// a page, read from the link's own feed so that its tier, window and
// expiry apply as they do to the feed, and its fetches are counted. It
// is the one page other sites may frame.
func (h *Handler) Agenda(w http.ResponseWriter, r *http.Request) {
	securityHeaders(w.Header(), true)
	p := h.newPage(r)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		h.finish(w, r, p, &api.Error{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "method not allowed on this resource"})
		return
	}
	// ?tz= is the zone the embedding site chose; the reader's setting
	// otherwise.
	if loc, ok := loadZone(r.URL.Query().Get("tz")); ok {
		p.zone = loc
	}
	feedPath := strings.TrimSuffix(r.URL.Path, ".html") + ".ics"
	now := h.now().In(p.zone)
	from := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, p.zone)
	to := from.AddDate(0, 0, AgendaDays)
	token := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, publish.CalendarPrefix), ".html")
	data, err := h.opts.Feeds.Window(r, token, from, to)
	var throttled *publish.ErrThrottled
	switch {
	case errors.As(err, &throttled):
		h.finish(w, r, p, &api.Error{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: "too many requests; try again later", RetryAfter: throttled.RetryAfter})
		return
	case errors.Is(err, storage.ErrNotFound):
		h.finish(w, r, p, &api.Error{Status: http.StatusNotFound, Code: "link_gone", Message: "this calendar is not published (any more)"})
		return
	case err != nil:
		h.log.ErrorContext(r.Context(), "web: agenda of a feed failed", "err", err)
		h.finish(w, r, p, errFeed)
		return
	}
	d, err := agenda(data, from, to, p.zone)
	if err != nil {
		h.log.ErrorContext(r.Context(), "web: agenda of a feed failed", "err", err)
		h.finish(w, r, p, errFeed)
		return
	}
	d.ICS = feedPath
	p.Title, p.Data = d.Title, d
	if p.Title == "" {
		p.Title = p.T("agenda.title")
	}
	h.render(w, p, "agenda")
}

var errFeed = &api.Error{Status: http.StatusInternalServerError, Code: "internal", Message: "internal error"}

// agenda lists the instances of a feed's events in [from, to), in zone,
// grouped by day.
func agenda(data []byte, from, to time.Time, zone *time.Location) (*agendaData, error) {
	cal, err := ical.Parse(data)
	if err != nil {
		return nil, err
	}
	d := &agendaData{From: from, To: to.AddDate(0, 0, -1)}
	if p := cal.Props.Get("X-WR-CALNAME"); p != nil {
		d.Title = p.Value
	}
	zones := ical.ZonesOf(cal)
	// The instances of one object are its components with one UID.
	byUID := map[string]*goical.Calendar{}
	var order []string
	for _, c := range cal.Children {
		if c.Name != goical.CompEvent {
			continue
		}
		uid := ""
		if p := c.Props.Get(goical.PropUID); p != nil {
			uid = p.Value
		}
		obj, ok := byUID[uid]
		if !ok {
			obj = &goical.Calendar{Component: goical.NewComponent(goical.CompCalendar)}
			byUID[uid] = obj
			order = append(order, uid)
		}
		obj.Children = append(obj.Children, c)
	}
	budget := ical.NewRequestBudget(0)
	var items []agendaItem
	for _, uid := range order {
		truncated, err := ical.Instances(byUID[uid], ical.InstanceOptions{From: from, To: to, Zones: zones, Budget: budget, Max: maxAgendaItems},
			func(in ical.Instance) bool {
				if in.Cancelled {
					return true
				}
				it := agendaItem{Start: in.Start, End: in.End, AllDay: in.AllDay}
				if p := in.Component.Props.Get(goical.PropSummary); p != nil {
					it.Summary = p.Value
				}
				if p := in.Component.Props.Get(goical.PropLocation); p != nil {
					it.Location = p.Value
				}
				items = append(items, it)
				return true
			})
		if err != nil {
			// One event the walk cannot read does not hide the others.
			continue
		}
		d.Truncated = d.Truncated || truncated
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].Start.Before(items[j].Start) })
	if len(items) > maxAgendaItems {
		items, d.Truncated = items[:maxAgendaItems], true
	}
	for _, it := range items {
		start := it.Start.In(zone)
		if it.AllDay {
			// A DATE is the same day everywhere.
			start = time.Date(it.Start.Year(), it.Start.Month(), it.Start.Day(), 0, 0, 0, 0, zone)
		}
		if start.Before(from) {
			start = from
		}
		day := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, zone)
		if n := len(d.Days); n == 0 || !d.Days[n-1].Day.Equal(day) {
			d.Days = append(d.Days, agendaDay{Day: day})
		}
		d.Days[len(d.Days)-1].Items = append(d.Days[len(d.Days)-1].Items, it)
	}
	return d, nil
}
