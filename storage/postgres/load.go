package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
	"almanac/storage/internal/records"
)

// Load writes what another backend's export hands it (storage.Sink) as
// rows of this schema, values as given: Created and Modified, counters,
// incarnations, change records and statistics are kept, so that sync
// tokens, ETags and feed URLs stay valid across the move. Everything
// goes in one transaction, by COPY, and commits at the end: a failure
// (the source damaged, the connection lost, the process killed) leaves
// the database as it was, so a run is simply repeated. The database must
// be empty; one that a finished Load filled says so (store_meta records
// the source and the time), any other data is refused by table.

// Keys of store_meta written by Load.
const (
	MetaMigratedFrom = "migrated_from"
	MetaMigratedAt   = "migrated_at"
)

// ErrNotEmpty is what Load returns for a target holding data.
var ErrNotEmpty = errors.New("the target database is not empty")

// loadColumns are the columns Load copies into each table.
var loadColumns = map[string][]string{
	"store_meta": {"key", "value"},
	"accounts": {"id", "login", "login_key", "display_name", "password_hash", "created", "created_ns", "recovery_email", "mobile",
		"totp_secret", "totp_enabled", "totp_last_step", "recovery_codes", "password_changed", "password_changed_ns", "admin", "disabled"},
	"collections": {"id", "owner", "name", "kind", "incarnation", "seq", "pruned", "components", "props", "created", "modified"},
	"objects": {"collection", "name", "uid", "component", "content_type", "etag", "size", "modified", "seq", "span_start", "span_end",
		"schedule_tag", "tl_known", "tl_from", "tl_until", "tl_tag", "tl_renew", "data"},
	"timeline_periods": {"collection", "name", "period_start", "period_end"},
	"changes":          {"collection", "name", "seq", "deleted", "written"},
	"links": {"id", "owner", "collection", "label", "tier", "components", "past_days", "future_days", "expires", "expires_ns",
		"created", "updated", "version", "fetches", "last_fetched", "last_fetched_ns", "last_user_agent"},
	"grants":        {"owner", "collection", "sharee", "access", "show_private", "mount", "props", "created", "updated"},
	"app_passwords": {"id", "owner", "name", "hash", "scope", "created", "last_used", "last_used_ns", "last_client"},
	"sessions":      {"id", "account", "csrf", "created", "expires", "expires_ns", "two_factor"},
	"tokens":        {"hash", "account", "purpose", "data", "expires", "expires_ns"},
	"organizations": {"id", "name", "created", "created_ns"},
	"members":       {"org", "account", "role"},
	"mail_services": {"id", "org", "domain", "plan", "alias_domains", "created", "created_ns", "imap_host", "imap_port", "imap_security",
		"submission_host", "submission_port", "submission_security"},
	"mail_domains":        {"domain", "service"},
	"mailboxes":           {"service", "local_key", "local_part", "password_hash", "created", "created_ns", "password_changed", "password_changed_ns"},
	"mail_names":          {"service", "name", "local_key", "alias", "position"},
	"mailbox_links":       {"service", "local_key", "account", "rights", "created"},
	"import_jobs":         {"id", "owner", "state", "created", "record"},
	"responders":          {"service", "local_key", "id", "active", "handle", "template", "settings", "created", "updated"},
	"responder_templates": {"service", "id", "is_default", "settings", "created", "updated"},
	"sending_addresses":   {"account", "address", "code_hash", "code_expires", "code_expires_ns", "verified", "verified_ns", "created"},
}

// loadBuffer bounds the rows held between COPYs (object bytes counted).
const loadBuffer = 8 << 20

// LoadStats counts the rows Load wrote, by table.
type LoadStats map[string]int64

// Load fills the empty database of s with what export passes to the
// Sink it is given, in one transaction, and records source (a
// description of where the data came from) in store_meta.
func (s *Store) Load(ctx context.Context, source string, export func(storage.Sink) error) (LoadStats, error) {
	const op = "load"
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer conn.Release()
	l := &loader{ctx: ctx, rows: map[string][][]any{}, stats: LoadStats{}}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		l.tx = tx
		// Servers started on the target meanwhile wait, and then find it
		// filled rather than creating a first account beside the copy.
		if _, err := tx.Exec(ctx, `LOCK TABLE store_meta, accounts, organizations IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		if err := refuseNotEmpty(ctx, tx); err != nil {
			return err
		}
		fks, err := dropForeignKeys(ctx, tx)
		if err != nil {
			return err
		}
		indexes, err := dropIndexes(ctx, tx)
		if err != nil {
			return err
		}
		if err := export(l); err != nil {
			return err
		}
		for _, kv := range [][2]string{{MetaMigratedFrom, source}, {MetaMigratedAt, time.Now().UTC().Format(time.RFC3339)}} {
			if err := l.add("store_meta", []any{kv[0], kv[1]}, 0); err != nil {
				return err
			}
		}
		if err := l.flush(); err != nil {
			return err
		}
		for _, def := range indexes {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("%s: %w", def, err)
			}
		}
		for _, fk := range fks {
			if _, err := tx.Exec(ctx, `ALTER TABLE `+fk.table+` ADD CONSTRAINT `+fk.name+` `+fk.def); err != nil {
				return fmt.Errorf("foreign key %s of %s: %w", fk.name, fk.table, err)
			}
		}
		for _, id := range identities {
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max(`+id[1]+`), 0) + 1, false) FROM `+id[0],
				id[0], id[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	// The planner's statistics of the tables just filled: without them
	// the first queries take plans meant for empty tables.
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		return nil, wrap(op, err)
	}
	return l.stats, nil
}

type foreignKey struct{ table, name, def string }

// dropForeignKeys drops the foreign keys of the store's tables for the
// load, which adds them back before it commits: added to full tables,
// PostgreSQL validates each with one join rather than a lookup per row.
// DDL is transactional, so a load that fails leaves them in place.
func dropForeignKeys(ctx context.Context, tx pgx.Tx) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, `SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
		FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY($1) ORDER BY c.conrelid::regclass::text, c.conname`,
		snapshotTables)
	if err != nil {
		return nil, err
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (foreignKey, error) {
		var fk foreignKey
		return fk, r.Scan(&fk.table, &fk.name, &fk.def)
	})
	if err != nil {
		return nil, err
	}
	for _, fk := range fks {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+fk.table+` DROP CONSTRAINT `+fk.name); err != nil {
			return nil, err
		}
	}
	return fks, nil
}

// dropIndexes drops the indexes of the store's tables that back no
// constraint and returns their definitions, for the load to build them
// again on full tables: maintained row by row, the two of
// timeline_periods alone took 17 of a 100,000-event load's 30 s, built
// at the end the whole load takes 5 to 20 s (BenchmarkMigrate100k).
func dropIndexes(ctx context.Context, tx pgx.Tx) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
		WHERE i.indrelid::regclass::text = ANY($1) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`, snapshotTables)
	if err != nil {
		return nil, err
	}
	type index struct{ name, def string }
	idx, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var x index
		return x, r.Scan(&x.name, &x.def)
	})
	if err != nil {
		return nil, err
	}
	var defs []string
	for _, x := range idx {
		if _, err := tx.Exec(ctx, `DROP INDEX `+x.name); err != nil {
			return nil, err
		}
		defs = append(defs, x.def)
	}
	return defs, nil
}

// refuseNotEmpty names what the target already holds: a finished Load,
// or the first table with rows.
func refuseNotEmpty(ctx context.Context, tx pgx.Tx) error {
	var from, at *string
	err := tx.QueryRow(ctx, `SELECT (SELECT value FROM store_meta WHERE key = $1), (SELECT value FROM store_meta WHERE key = $2)`,
		MetaMigratedFrom, MetaMigratedAt).Scan(&from, &at)
	if err != nil {
		return err
	}
	if from != nil && at != nil {
		return fmt.Errorf("%w: it already holds the data migrated from %s at %s", ErrNotEmpty, *from, *at)
	}
	for _, t := range snapshotTables {
		used, err := exists(ctx, tx, `SELECT 1 FROM `+t+` LIMIT 1`)
		if err != nil {
			return err
		}
		if used {
			return fmt.Errorf("%w: table %s has rows", ErrNotEmpty, t)
		}
	}
	return nil
}

// loader is the storage.Sink of Load: rows wait in memory, by table,
// until loadBuffer is reached, and are then copied table by table.
type loader struct {
	ctx      context.Context
	tx       pgx.Tx
	rows     map[string][][]any
	size     int
	stats    LoadStats
	coll     *storage.Collection
	collID   int64
	position int64 // mail_names.position, the order aliases were added in
}

func (l *loader) add(table string, row []any, size int) error {
	l.rows[table] = append(l.rows[table], row)
	l.size += size + 64
	if l.size >= loadBuffer {
		return l.flush()
	}
	return nil
}

func (l *loader) flush() error {
	for _, t := range snapshotTables {
		rows := l.rows[t]
		if len(rows) == 0 {
			continue
		}
		n, err := l.tx.CopyFrom(l.ctx, pgx.Identifier{t}, loadColumns[t], pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("copy %s: %w", t, err)
		}
		l.stats[t] += n
		l.rows[t] = rows[:0]
	}
	l.size = 0
	return nil
}

func (l *loader) Account(a *storage.Account) error {
	ct, cns := split(a.Created)
	pt, pns := split(a.PasswordChanged)
	return l.add("accounts", []any{a.ID, a.Login, loginKey(a.Login), a.DisplayName, a.PasswordHash, ct, cns, a.RecoveryEmail, a.Mobile,
		a.TOTPSecret, a.TOTPEnabled, a.TOTPLastStep, list(a.RecoveryCodes), pt, pns, a.Admin, a.Disabled}, 0)
}

func (l *loader) Collection(c *storage.Collection) error {
	l.collID++
	l.coll = c
	props := c.Props
	if props == nil {
		props = map[string]string{}
	}
	return l.add("collections", []any{l.collID, c.Owner, c.Name, int16(c.Kind), c.Incarnation, int64(c.Seq), int64(c.Pruned),
		list(c.Components), props, c.Created.UTC(), c.Modified.UTC()}, 0)
}

func (l *loader) Object(o *storage.Object, tl storage.Timeline) error {
	if l.coll == nil {
		return errors.New("object before any collection")
	}
	if l.coll.Kind != storage.KindCalendar {
		tl = storage.Timeline{}
	}
	tl = normTimeline(tl)
	start, end := spanColumns(o.Span)
	err := l.add("objects", []any{l.collID, o.Name, o.UID, o.Component, o.ContentType, o.ETag, o.Size, o.Modified.UTC(), int64(o.Seq),
		start, end, o.ScheduleTag, tl.Known, zeroNull(tl.From), zeroNull(tl.Until), int16(tl.Tag), tl.Renew, o.Data}, len(o.Data))
	if err != nil {
		return err
	}
	for _, p := range tl.Periods {
		if err := l.add("timeline_periods", []any{l.collID, o.Name, p.Start, p.End}, 0); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) Change(c storage.LoggedChange) error {
	if l.coll == nil {
		return errors.New("change before any collection")
	}
	return l.add("changes", []any{l.collID, c.Name, int64(c.Seq), c.Deleted, c.Written.UTC()}, 0)
}

func (l *loader) Link(k *storage.Link) error {
	et, ens := split(k.Expires)
	ft, fns := split(k.LastFetched)
	return l.add("links", []any{k.ID, k.Owner, k.Collection, k.Label, k.Tier, list(k.Components), k.PastDays, k.FutureDays, et, ens,
		k.Created.UTC(), k.Updated.UTC(), int64(k.Version), int64(k.Fetches), ft, fns, k.LastUserAgent}, 0)
}

func (l *loader) Grant(g *storage.Grant) error {
	props := g.Props
	if props == nil {
		props = map[string]string{}
	}
	return l.add("grants", []any{g.Owner, g.Collection, g.Sharee, g.Access, g.ShowPrivate, g.Mount, props, g.Created.UTC(), g.Updated.UTC()}, 0)
}

func (l *loader) AppPassword(p *storage.AppPassword) error {
	ut, uns := split(p.LastUsed)
	return l.add("app_passwords", []any{p.ID, p.Owner, p.Name, p.Hash, p.Scope, p.Created.UTC(), ut, uns, p.LastClient}, 0)
}

func (l *loader) Session(s *storage.Session) error {
	et, ens := split(s.Expires)
	return l.add("sessions", []any{s.ID, s.Account, s.CSRF, s.Created.UTC(), et, ens, s.TwoFactor}, 0)
}

func (l *loader) Token(t *storage.Token) error {
	et, ens := split(t.Expires)
	return l.add("tokens", []any{t.Hash, t.Account, t.Purpose, t.Data, et, ens}, 0)
}

func (l *loader) Organization(o *storage.Organization) error {
	ct, cns := split(o.Created)
	return l.add("organizations", []any{o.ID, o.Name, ct, cns}, 0)
}

func (l *loader) Member(m storage.Member) error {
	return l.add("members", []any{m.Org, m.Account, m.Role}, 0)
}

func (l *loader) MailService(ms *storage.MailService) error {
	ct, cns := split(ms.Created)
	domain, aliases := mailKey(ms.Domain), make([]string, len(ms.AliasDomains))
	for i, d := range ms.AliasDomains {
		aliases[i] = mailKey(d)
	}
	err := l.add("mail_services", []any{ms.ID, ms.Org, domain, ms.Plan, list(aliases), ct, cns,
		ms.IMAP.Host, ms.IMAP.Port, ms.IMAP.Security, ms.Submission.Host, ms.Submission.Port, ms.Submission.Security}, 0)
	for _, d := range append([]string{domain}, aliases...) {
		if err == nil {
			err = l.add("mail_domains", []any{d, ms.ID}, 0)
		}
	}
	return err
}

func (l *loader) Mailbox(m *storage.Mailbox) error {
	key := mailKey(m.LocalPart)
	ct, cns := split(m.Created)
	pt, pns := split(m.PasswordChanged)
	if err := l.add("mailboxes", []any{m.Service, key, m.LocalPart, m.PasswordHash, ct, cns, pt, pns}, 0); err != nil {
		return err
	}
	l.position++
	if err := l.add("mail_names", []any{m.Service, key, key, false, l.position}, 0); err != nil {
		return err
	}
	for _, a := range m.Aliases {
		l.position++
		if err := l.add("mail_names", []any{m.Service, mailKey(a), key, true, l.position}, 0); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) MailboxLink(k *storage.MailboxLink) error {
	return l.add("mailbox_links", []any{k.Service, mailKey(k.LocalPart), k.Account, list(k.Rights), k.Created.UTC()}, 0)
}

func (l *loader) ImportJob(j *storage.ImportJob) error {
	raw, err := json.Marshal(records.FromImportJob(j))
	if err != nil {
		return err
	}
	return l.add("import_jobs", []any{j.ID, j.Owner, j.State, j.Created.UTC(), raw}, len(raw))
}

func (l *loader) ResponderTemplate(t *storage.ResponderTemplate) error {
	set, err := settingsJSON(&t.ResponderSettings)
	if err != nil {
		return err
	}
	return l.add("responder_templates", []any{t.Service, t.ID, t.Default, set, t.Created.UTC(), t.Updated.UTC()}, len(set))
}

func (l *loader) Responder(r *storage.Responder) error {
	set, err := settingsJSON(&r.ResponderSettings)
	if err != nil {
		return err
	}
	return l.add("responders", []any{r.Service, mailKey(r.LocalPart), r.ID, r.Active, r.Handle, r.Template, set,
		r.Created.UTC(), r.Updated.UTC()}, len(set))
}

func (l *loader) SendingAddress(a *storage.SendingAddress) error {
	et, ens := split(a.CodeExpires)
	vt, vns := split(a.Verified)
	return l.add("sending_addresses", []any{a.Account, mailKey(a.Address), a.CodeHash, et, ens, vt, vns, a.Created.UTC()}, 0)
}

// CountRows counts the rows of one of the store's tables, for
// comparisons the Store methods cannot make without changing what they
// read (tokens are only ever taken).
func (s *Store) CountRows(ctx context.Context, table string) (int64, error) {
	if _, ok := loadColumns[table]; !ok {
		return 0, wrap("count rows", fmt.Errorf("unknown table %q", table))
	}
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		return 0, wrap("count rows", err)
	}
	return n, nil
}
