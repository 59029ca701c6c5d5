package caldav

import (
	"encoding/xml"
	"log/slog"
	"net/http"
	"time"

	"almanac/internal/dav"
	"almanac/internal/davtree"
	aical "almanac/internal/ical"
	"almanac/storage"
)

// Calendars is the calendar kind of the /dav/ tree (davtree.Kind):
// calendar homes, calendars and calendar object resources.
type Calendars struct {
	store        storage.DAV
	logger       *slog.Logger
	maxInstances int
	clock        func() time.Time
}

// Options configures Calendars.
type Options struct {
	Logger *slog.Logger
	// MaxInstances caps the instances of one object that a query, an
	// expand or a free-busy report walks (0: 10,000). Objects with more
	// are stored all the same; only answers are bounded.
	MaxInstances int
	// Now is the clock the stored timelines' horizons are set by (tests);
	// nil: time.Now.
	Now func() time.Time
}

// New returns the calendar kind; serve it with davtree.New. Requests must
// carry an authenticated account (auth.Middleware).
func New(store storage.DAV, opts Options) *Calendars {
	h := &Calendars{store: store, logger: opts.Logger, maxInstances: opts.MaxInstances, clock: opts.Now}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.maxInstances <= 0 {
		h.maxInstances = aical.DefaultMaxInstances
	}
	return h
}

var (
	rMultiget = dav.Name(dav.NSCalDAV, "calendar-multiget")
	rQuery    = dav.Name(dav.NSCalDAV, "calendar-query")
	rFreeBusy = dav.Name(dav.NSCalDAV, "free-busy-query")
)

var spec = &davtree.Spec{
	Segment:      "calendars",
	StorageKind:  storage.KindCalendar,
	DAVClass:     "calendar-access",
	MkcolMethod:  "MKCALENDAR",
	ResourceType: dav.Name(dav.NSCalDAV, "calendar"),
	MediaType:    "text/calendar",
	DataProp:     pCalendarData,
	Multiget:     rMultiget,
	Reports:      []xml.Name{rQuery, rFreeBusy},
	HomeReports:  []xml.Name{rQuery},
	Noun:         "calendar",
	Conditions: davtree.Conditions{
		ValidData:     condValidData,
		SupportedData: condSupportedData,
		NoUIDConflict: dav.Name(dav.NSCalDAV, "no-uid-conflict"),
		MaxSize:       dav.Name(dav.NSCalDAV, "max-resource-size"),
		LocationOK:    dav.Name(dav.NSCalDAV, "calendar-collection-location-ok"),
	},
	CollectionLive: calendarLive,
	PrincipalLive:  principalLive,
	HomeSet:        pCalendarHomeSet,
}

// Spec describes calendars to the tree.
func (h *Calendars) Spec() *davtree.Spec { return spec }

// Report serves calendar-query and free-busy-query.
func (h *Calendars) Report(w http.ResponseWriter, r *http.Request, t *davtree.Target, root xml.Name, body []byte) error {
	if root == rFreeBusy {
		return h.freeBusy(w, r, t, body)
	}
	return h.query(w, r, t, body)
}

var _ davtree.Kind = (*Calendars)(nil)
