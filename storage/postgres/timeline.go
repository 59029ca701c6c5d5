package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// Timelines: a calendar member's bounds and flags are columns of its
// object row, its periods rows of timeline_periods, all written in the
// transaction that writes the member. Between asks the periods that
// overlap the range through the (collection, period_start) index, then
// the members whose timelines do not answer for the whole range.

// normTimeline is tl as the store keeps it: in whole seconds
// (Timeline.InSeconds), at most storage.MaxTimelinePeriods periods with
// Until cut back to the first period left out (Timeline.CutAt). Unlike
// bbolt, which also bounds the weeks a timeline
// touches (its index has a key per week), a period here is one row
// whatever its length.
func normTimeline(tl storage.Timeline) storage.Timeline {
	out := tl.InSeconds()
	out.CutAt(storage.MaxTimelinePeriods)
	return out
}

func zeroNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// setTimeline replaces member name's timeline in c; collections other
// than calendars keep none.
func (w *writer) setTimeline(c *coll, name string, tl storage.Timeline) error {
	if c.Kind != storage.KindCalendar {
		return nil
	}
	tl = normTimeline(tl)
	if _, err := w.tx.Exec(w.ctx, `UPDATE objects SET tl_known = $3, tl_from = $4, tl_until = $5, tl_tag = $6, tl_renew = $7
		WHERE collection = $1 AND name = $2`, c.id, name, tl.Known, zeroNull(tl.From), zeroNull(tl.Until), int16(tl.Tag), tl.Renew); err != nil {
		return err
	}
	if _, err := w.tx.Exec(w.ctx, `DELETE FROM timeline_periods WHERE collection = $1 AND name = $2`, c.id, name); err != nil {
		return err
	}
	if len(tl.Periods) == 0 {
		return nil
	}
	starts := make([]time.Time, len(tl.Periods))
	ends := make([]time.Time, len(tl.Periods))
	for i, p := range tl.Periods {
		starts[i], ends[i] = p.Start, p.End
	}
	_, err := w.tx.Exec(w.ctx, `INSERT INTO timeline_periods (collection, name, period_start, period_end)
		SELECT $1, $2, s, e FROM unnest($3::timestamptz[], $4::timestamptz[]) AS t(s, e)`, c.id, name, starts, ends)
	return err
}

// readTimeline reads member name's stored timeline; ok false when the
// member does not exist.
func readTimeline(ctx context.Context, tx pgx.Tx, collID int64, name string) (storage.Timeline, bool, error) {
	var tl storage.Timeline
	var from, until *time.Time
	var tag int16
	err := tx.QueryRow(ctx, `SELECT tl_known, tl_from, tl_until, tl_tag, tl_renew FROM objects WHERE collection = $1 AND name = $2`,
		collID, name).Scan(&tl.Known, &from, &until, &tag, &tl.Renew)
	if errors.Is(err, pgx.ErrNoRows) {
		return tl, false, nil
	}
	if err != nil {
		return tl, false, err
	}
	tl.Tag = uint8(tag)
	if from != nil {
		tl.From = from.UTC()
	}
	if until != nil {
		tl.Until = until.UTC()
	}
	rows, err := tx.Query(ctx, `SELECT period_start, period_end FROM timeline_periods WHERE collection = $1 AND name = $2
		ORDER BY period_start, period_end`, collID, name)
	if err != nil {
		return tl, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var p storage.Period
		if err := rows.Scan(&p.Start, &p.End); err != nil {
			return tl, false, err
		}
		p.Start, p.End = p.Start.UTC(), p.End.UTC()
		tl.Periods = append(tl.Periods, p)
	}
	return tl, true, rows.Err()
}

func (s *Store) Timeline(ctx context.Context, owner, collName, name string) (storage.Timeline, error) {
	var out storage.Timeline
	err := s.read(ctx, func(tx pgx.Tx) error {
		c, err := readColl(ctx, tx, owner, collName, false)
		if err != nil {
			return err
		}
		tl, ok, err := readTimeline(ctx, tx, c.id, name)
		if err != nil {
			return err
		}
		if !ok {
			return notFoundObject(owner, collName, name)
		}
		out = tl
		return nil
	})
	if err != nil {
		return storage.Timeline{}, wrap("get timeline", err)
	}
	return out, nil
}

// Between reads, in one snapshot, the periods overlapping the range and
// then the members whose timelines leave part of it unanswered, asking
// q.Want about each; fn runs after the transaction with the chosen
// members' metadata. When the caller needs only the names and ETags of
// matching members (q.ETags), the periods come with those two columns
// alone, and the metadata of the members taken otherwise is read in one
// more statement: a week at 100,000 events offers ten thousand periods,
// and their rows were most of the bytes the query read.
func (s *Store) Between(ctx context.Context, owner, collName string, q storage.TimeQuery, fn func(*storage.ObjectMeta, storage.Take) error) error {
	const op = "between"
	type choice struct {
		name string
		take storage.Take
	}
	var chosen []choice
	var metas map[string]*storage.ObjectMeta // of the chosen members, and more
	// named are the members taken with TakeMatch that q.ETags answers.
	type lightChoice struct{ name, etag string }
	var named []lightChoice
	err := s.read(ctx, func(tx pgx.Tx) error {
		c, err := readColl(ctx, tx, owner, collName, false)
		if err != nil {
			return err
		}
		// The members' metadata come with the rows that offer them, not
		// from a statement per chosen member: a month of 10,000 events
		// chooses 700, and round trips were most of the query's time.
		metas = map[string]*storage.ObjectMeta{}
		keep := func(m *storage.ObjectMeta) string {
			if _, ok := metas[m.Name]; !ok {
				metas[m.Name] = m
			}
			return m.Name
		}
		// keepRows keeps the metadata of every row of a metaColumns
		// query and calls fn with each member's name.
		keepRows := func(rows pgx.Rows, fn func(name string)) error {
			defer rows.Close()
			for rows.Next() {
				m, err := scanMeta(rows)
				if err != nil {
					return err
				}
				fn(keep(m))
			}
			return rows.Err()
		}
		type offer struct {
			name string
			p    storage.Period
			tag  uint8
			inc  bool
		}
		var offers []offer
		light := q.ETags != nil
		etags := map[string]string{} // of the members offered by light rows
		if c.Kind == storage.KindCalendar {
			// Period.Overlaps: from < end, or an instant at or after
			// from; start < to.
			// A period of at most a week starts at most a week before
			// From to reach into the range; longer ones are read from the
			// partial index timeline_periods_long (migration 3). The
			// bound is left out of the statement without a From, so that
			// a cached generic plan never has to reckon with it.
			recent := ``
			if !q.From.IsZero() {
				recent = ` AND (p.period_start >= $2::timestamptz - interval '7 days' OR p.period_end - p.period_start > interval '7 days')`
			}
			cols := memberColumns
			if light {
				cols = `o.name, o.etag`
			}
			rows, err := tx.Query(ctx, `SELECT `+cols+`, p.period_start, p.period_end, o.tl_tag FROM timeline_periods p
				JOIN objects o ON o.collection = p.collection AND o.name = p.name
				WHERE p.collection = $1 AND ($3::timestamptz IS NULL OR p.period_start < $3)
				AND ($2::timestamptz IS NULL OR p.period_end > $2 OR (p.period_end = p.period_start AND p.period_start >= $2))`+recent+`
				ORDER BY p.name, p.period_start`, c.id, zeroNull(q.From), zeroNull(q.To))
			if err != nil {
				return err
			}
			for rows.Next() {
				var o offer
				var tag int16
				if light {
					var etag string
					if err := rows.Scan(&o.name, &etag, &o.p.Start, &o.p.End, &tag); err != nil {
						rows.Close()
						return err
					}
					etags[o.name] = etag
				} else {
					m, err := scanMeta(rows, &o.p.Start, &o.p.End, &tag)
					if err != nil {
						rows.Close()
						return err
					}
					o.name = keep(m)
				}
				o.p.Start, o.p.End, o.tag = o.p.Start.UTC(), o.p.End.UTC(), uint8(tag)
				offers = append(offers, o)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		// Every member of another collection is incomplete. Of a
		// calendar, only those whose timeline is unknown or bounded
		// can be: the first condition is the predicate of the partial
		// index objects_loose (migration 3), so they are found without
		// reading every member.
		var rows pgx.Rows
		if c.Kind == storage.KindCalendar {
			rows, err = tx.Query(ctx, `SELECT `+metaColumns+` FROM objects WHERE collection = $1
				AND (NOT tl_known OR tl_from IS NOT NULL OR tl_until IS NOT NULL)
				AND (NOT tl_known
				OR (tl_from IS NOT NULL AND ($2::timestamptz IS NULL OR $2 < tl_from))
				OR (tl_until IS NOT NULL AND ($3::timestamptz IS NULL OR $3 > tl_until)))
				ORDER BY name`, c.id, zeroNull(q.From), zeroNull(q.To))
		} else {
			rows, err = tx.Query(ctx, `SELECT `+metaColumns+` FROM objects WHERE collection = $1 ORDER BY name`, c.id)
		}
		if err != nil {
			return err
		}
		err = keepRows(rows, func(name string) { offers = append(offers, offer{name: name, inc: true}) })
		if err != nil {
			return err
		}
		// A member is offered until Want takes it: its periods in
		// order, then itself as incomplete (the offers come in that
		// order, periods first).
		taken := make(map[string]bool, len(metas)+len(etags))
		var unread []string // taken from light rows, needing their metadata
		for _, o := range offers {
			if taken[o.name] {
				continue
			}
			t := q.Want([]byte(o.name), o.p, o.tag, o.inc)
			if t == storage.TakeNo {
				continue
			}
			taken[o.name] = true
			etag, fromLight := etags[o.name]
			switch {
			case metas[o.name] == nil && t == storage.TakeMatch && fromLight && storage.PlainMember(o.name, etag):
				named = append(named, lightChoice{o.name, etag})
			case metas[o.name] == nil:
				unread = append(unread, o.name)
				fallthrough
			default:
				chosen = append(chosen, choice{o.name, t})
			}
		}
		if len(unread) == 0 {
			return nil
		}
		rows, err = tx.Query(ctx, `SELECT `+metaColumns+` FROM objects WHERE collection = $1 AND name = ANY($2)`, c.id, unread)
		if err != nil {
			return err
		}
		if err := keepRows(rows, func(string) {}); err != nil {
			return err
		}
		for _, name := range unread {
			if metas[name] == nil {
				// The same snapshot offered it: a missing row is damage.
				return fmt.Errorf("member %q offered by its periods has no row", name)
			}
		}
		return nil
	})
	if err != nil {
		return wrap(op, err)
	}
	for _, c := range chosen {
		if err := fn(metas[c.name], c.take); err != nil {
			return err
		}
	}
	for _, l := range named {
		if err := q.ETags([]byte(l.name), []byte(l.etag)); err != nil {
			return err
		}
	}
	return nil
}

// DueTimelines reads every due member in one snapshot and calls fn
// after it.
func (s *Store) DueTimelines(ctx context.Context, before time.Time, fn func(storage.TimelineDue) error) error {
	var due []storage.TimelineDue
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.owner, c.name, o.name, o.etag FROM objects o JOIN collections c ON c.id = o.collection
			WHERE c.kind = $1 AND o.tl_renew AND (NOT o.tl_known OR (o.tl_until IS NOT NULL AND o.tl_until < $2))
			ORDER BY c.owner, c.name, o.name`, int16(storage.KindCalendar), before)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d storage.TimelineDue
			if err := rows.Scan(&d.Owner, &d.Collection, &d.Name, &d.ETag); err != nil {
				return err
			}
			due = append(due, d)
		}
		return rows.Err()
	})
	if err != nil {
		return wrap("due timelines", err)
	}
	for _, d := range due {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}

// SetTimelines replaces timelines under the collection's lock, so a
// write of the member cannot slip between the ETag check and the
// update; Seq, Modified and the change log stay.
func (s *Store) SetTimelines(ctx context.Context, owner, collName string, sets []storage.TimelineSet) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx pgx.Tx) error {
		n = 0
		w := newWriter(ctx, tx)
		c, err := w.coll(owner, collName)
		if err != nil {
			return err
		}
		if c.Kind != storage.KindCalendar {
			return nil
		}
		for _, set := range sets {
			var etag string
			err := tx.QueryRow(ctx, `SELECT etag FROM objects WHERE collection = $1 AND name = $2`, c.id, set.Name).Scan(&etag)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && etag != set.ETag) {
				continue
			}
			if err != nil {
				return err
			}
			if err := w.setTimeline(c, set.Name, set.Timeline); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, wrap("set timelines", fmt.Errorf("%s/%s: %w", owner, collName, err))
	}
	return n, nil
}
