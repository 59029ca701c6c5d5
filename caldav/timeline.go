package caldav

import (
	"context"
	"errors"
	"time"

	aical "almanac/internal/ical"
	"almanac/storage"
)

// What a stored timeline covers (doc.go, "Time-range queries without
// reading"). A series without end is recorded up to timelineLead from
// the write, and renewed in the background once that horizon is less
// than timelineLead/2 away (RenewTimelines), so the next year is always
// answered from the index. A series with more instances than the store
// keeps (storage.MaxTimelinePeriods) from its start is recorded from
// timelineLookback before the write instead: a daily meeting since 2015
// is answered for the last year and the next two.
const (
	timelineLead     = 2 * 365 * 24 * time.Hour
	timelineLookback = 365 * 24 * time.Hour
)

// Timeline tags: the component type in the low two bits, so that a
// query can tell whether the periods are the instances its filter tests,
// and whether floating times were read in UTC.
const (
	tagEvent    = 1
	tagJournal  = 2
	tagToDo     = 3
	tagComp     = 3
	tagFloating = 4
)

var compTags = map[string]uint8{aical.CompEvent: tagEvent, aical.CompJournal: tagJournal, aical.CompToDo: tagToDo}

// objectTimeline computes the timeline stored with an object at now,
// under b (a PUT's budget, or the renewal's). VFREEBUSY and VAVAILABILITY
// get none, nor a VTODO with a component that has no time (RFC 4791 9.9
// matches it by COMPLETED and CREATED): their objects are read by every
// time-range query whose window their span meets, as before.
func objectTimeline(info *aical.ObjectInfo, b *aical.Budget, now time.Time) storage.Timeline {
	tag, ok := compTags[info.Component]
	if !ok {
		return storage.Timeline{}
	}
	opts := aical.TimelineOptions{Horizon: now.Add(timelineLead), Max: storage.MaxTimelinePeriods, Budget: b}
	tl := info.Timeline(opts)
	if tl.Known && tl.Capped {
		opts.From = now.Add(-timelineLookback)
		if w := info.Timeline(opts); w.Known && (w.Until.IsZero() || w.Until.After(tl.Until)) {
			tl = w
		}
	}
	if !tl.Known || tl.Unplaced && tag == tagToDo {
		return storage.Timeline{}
	}
	if tl.Floating {
		tag |= tagFloating
	}
	out := storage.Timeline{Known: true, Tag: tag, From: tl.From, Until: tl.Until, Periods: make([]storage.Period, len(tl.Periods))}
	for i, p := range tl.Periods {
		out.Periods[i] = storage.Period{Start: p.Start, End: p.End}
	}
	// Worth renewing when time will overtake the horizon (or slide the
	// window) while the next year is still covered; a dense series whose
	// periods run out sooner is read instead, and renewing it would only
	// find the same.
	out.Renew = !tl.Until.IsZero() && !tl.Until.Before(now.Add(timelineLead/2))
	return out
}

// RenewStats reports what one RenewTimelines pass did.
type RenewStats struct {
	Renewed int // timelines computed and stored
	Skipped int // objects changed or gone meanwhile, or that no longer parse
}

// renewBatch is how many timelines one SetTimelines writes: a write
// transaction of a few dozen ms at most, so PUTs sharing the group
// commit are not held up.
const renewBatch = 256

// RenewTimelines computes the timelines that are due (storage
// DueTimelines): those of objects stored before timelines were (schema
// upgrade), and those whose horizon is less than timelineLead/2 ahead of
// now. It reads each object, computes its timeline under a PUT's budget
// and stores it unless the object changed meanwhile. The server runs it
// at start and then hourly.
func (h *Calendars) RenewTimelines(ctx context.Context) (RenewStats, error) {
	now := h.now()
	var (
		st    RenewStats
		owner string
		coll  string
		batch []storage.TimelineSet
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := h.store.SetTimelines(ctx, owner, coll, batch)
		if errors.Is(err, storage.ErrNotFound) {
			err = nil // the calendar went meanwhile
		}
		st.Renewed += n
		st.Skipped += len(batch) - n
		batch = batch[:0]
		return err
	}
	err := h.store.DueTimelines(ctx, now.Add(timelineLead/2), func(d storage.TimelineDue) error {
		if d.Owner != owner || d.Collection != coll || len(batch) == renewBatch {
			if err := flush(); err != nil {
				return err
			}
			owner, coll = d.Owner, d.Collection
		}
		obj, err := h.store.Get(ctx, d.Owner, d.Collection, d.Name)
		if errors.Is(err, storage.ErrNotFound) {
			st.Skipped++
			return nil
		}
		if err != nil {
			return err
		}
		tl, ok := h.storedTimeline(obj.Data, now)
		if !ok {
			h.logger.WarnContext(ctx, "stored object does not parse; its timeline stays unknown", "collection", d.Collection, "object", d.Name)
		}
		batch = append(batch, storage.TimelineSet{Name: d.Name, ETag: obj.ETag, Timeline: tl})
		return nil
	})
	if err == nil {
		err = flush()
	}
	return st, err
}

// storedTimeline is objectTimeline for stored bytes. Objects were
// validated when written; one that no longer is (a stricter check after
// an upgrade) gets an unknown timeline that is not renewed, and is read
// by every query, which skips it as it always did.
func (h *Calendars) storedTimeline(data []byte, now time.Time) (storage.Timeline, bool) {
	b := h.objectBudget()
	info, err := aical.ValidateObjectWithin(data, b)
	if err != nil {
		return storage.Timeline{}, false
	}
	return objectTimeline(info, b, now), true
}

// now is the clock timelines are computed by.
func (h *Calendars) now() time.Time {
	if h.clock != nil {
		return h.clock()
	}
	return time.Now()
}

// timelineTag splits a stored tag.
func timelineTag(tag uint8) (comp string, floating bool) {
	switch tag & tagComp {
	case tagEvent:
		comp = aical.CompEvent
	case tagJournal:
		comp = aical.CompJournal
	case tagToDo:
		comp = aical.CompToDo
	}
	return comp, tag&tagFloating != 0
}
