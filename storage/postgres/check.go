package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// Check verifies, in one repeatable-read snapshot, the invariants the
// methods keep that the schema's keys and foreign keys do not: the
// change log against the counters and the members, the mounts against
// the sharees' collection names, the mail names and domains against
// their mailboxes and services, and ended import jobs holding no source
// password. Referential integrity itself (a grant's collection, an
// object's collection...) is PostgreSQL's to keep and is not walked.
// Object bytes are not hashed: size is compared with the stored length,
// which PostgreSQL knows without reading the bytes.
func (s *Store) Check(ctx context.Context, report func(storage.Problem)) (storage.CheckStats, error) {
	const op = "check"
	var st storage.CheckStats
	if err := ctx.Err(); err != nil {
		return st, wrap(op, err)
	}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := untimed(ctx, tx); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM collections),
			(SELECT count(*) FROM objects), (SELECT count(*) FROM links), (SELECT count(*) FROM grants),
			(SELECT count(*) FROM organizations), (SELECT count(*) FROM mail_services), (SELECT count(*) FROM mailboxes)`).
			Scan(&st.Accounts, &st.Collections, &st.Objects, &st.Links, &st.Grants, &st.Organizations, &st.MailServices, &st.Mailboxes)
		if err != nil {
			return err
		}
		for _, c := range checks {
			if err := ctx.Err(); err != nil {
				return err
			}
			rows, err := tx.Query(ctx, c.sql)
			if err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
			for rows.Next() {
				var where, what string
				if err := rows.Scan(&where, &what); err != nil {
					rows.Close()
					return err
				}
				report(storage.Problem{Where: where, What: what})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
		}
		return nil
	})
	if err != nil {
		return st, wrap(op, err)
	}
	return st, nil
}

// checks are queries returning (where, what) for each problem, in a
// stable order.
var checks = []struct{ what, sql string }{
	{"counters", `SELECT 'collection ' || owner || '/' || name, format('pruned %s is past the counter %s', pruned, seq)
		FROM collections WHERE pruned > seq OR seq < 0 ORDER BY owner, name`},
	{"change records past the counter", `SELECT 'collection ' || c.owner || '/' || c.name,
		format('change record of %L at %s is past the counter %s', ch.name, ch.seq, c.seq)
		FROM changes ch JOIN collections c ON c.id = ch.collection WHERE ch.seq > c.seq ORDER BY c.owner, c.name, ch.seq`},
	{"members without their change", `SELECT 'object ' || c.owner || '/' || c.name || '/' || o.name,
		CASE WHEN ch.name IS NULL THEN format('no change record (its seq is %s)', o.seq)
			WHEN ch.deleted THEN format('its change record at %s is a tombstone', ch.seq)
			ELSE format('its change record is at %s, its seq %s', ch.seq, o.seq) END
		FROM objects o JOIN collections c ON c.id = o.collection
		LEFT JOIN changes ch ON ch.collection = o.collection AND ch.name = o.name
		WHERE ch.name IS NULL OR ch.deleted OR ch.seq <> o.seq ORDER BY c.owner, c.name, o.name`},
	{"changes without their member", `SELECT 'collection ' || c.owner || '/' || c.name,
		format('change record of %L at %s names no member', ch.name, ch.seq)
		FROM changes ch JOIN collections c ON c.id = ch.collection
		LEFT JOIN objects o ON o.collection = ch.collection AND o.name = ch.name
		WHERE NOT ch.deleted AND o.name IS NULL ORDER BY c.owner, c.name, ch.seq`},
	{"tombstones", `SELECT 'collection ' || c.owner || '/' || c.name,
		CASE WHEN o.name IS NOT NULL THEN format('tombstone of %L at %s but the member exists', ch.name, ch.seq)
			ELSE format('tombstone of %L at %s is at or below pruned %s', ch.name, ch.seq, c.pruned) END
		FROM changes ch JOIN collections c ON c.id = ch.collection
		LEFT JOIN objects o ON o.collection = ch.collection AND o.name = ch.name
		WHERE ch.deleted AND (o.name IS NOT NULL OR ch.seq <= c.pruned) ORDER BY c.owner, c.name, ch.seq`},
	{"object sizes", `SELECT 'object ' || c.owner || '/' || c.name || '/' || o.name,
		format('size %s but %s bytes stored', o.size, octet_length(o.data))
		FROM objects o JOIN collections c ON c.id = o.collection WHERE o.size <> octet_length(o.data) ORDER BY c.owner, c.name, o.name`},
	{"collection kinds", `SELECT 'collection ' || owner || '/' || name, format('unknown kind %s', kind)
		FROM collections WHERE kind NOT IN (1, 2, 3) ORDER BY owner, name`},
	{"mounts", `SELECT 'grant ' || g.owner || '/' || g.collection || ' to ' || g.sharee,
		format('its mount %L is also a collection of %s', g.mount, g.sharee)
		FROM grants g JOIN collections c ON c.owner = g.sharee AND c.name = g.mount ORDER BY g.owner, g.collection, g.sharee`},
	{"self grants", `SELECT 'grant ' || owner || '/' || collection || ' to ' || sharee, 'shares a collection with its owner'
		FROM grants WHERE owner = sharee ORDER BY owner, collection`},
	{"mailbox names", `SELECT 'mailbox ' || m.service || '/' || m.local_key,
		CASE WHEN n.name IS NULL THEN 'its local part is not among the service''s names'
			ELSE format('its local part is held by %L', n.local_key) END
		FROM mailboxes m LEFT JOIN mail_names n ON n.service = m.service AND n.name = m.local_key
		WHERE n.name IS NULL OR n.alias OR n.local_key <> m.local_key OR m.local_key <> lower(m.local_part)
		ORDER BY m.service, m.local_key`},
	{"alias names", `SELECT 'mailbox ' || service || '/' || local_key, format('local part name %L is not its own', name)
		FROM mail_names WHERE NOT alias AND name <> local_key ORDER BY service, name`},
	{"service domains", `SELECT 'mail service ' || s.id, format('domain %L is not mapped to it', d.domain)
		FROM mail_services s CROSS JOIN LATERAL unnest(array_prepend(s.domain, s.alias_domains)) AS d(domain)
		LEFT JOIN mail_domains md ON md.domain = d.domain
		WHERE md.service IS DISTINCT FROM s.id ORDER BY s.id, d.domain`},
	{"domain index", `SELECT 'mail domain ' || md.domain, format('mapped to service %L, which does not list it', md.service)
		FROM mail_domains md JOIN mail_services s ON s.id = md.service
		WHERE md.domain <> s.domain AND NOT md.domain = ANY(s.alias_domains) ORDER BY md.domain`},
	{"import jobs", `SELECT 'import job ' || id, 'it has ended but still holds a source password'
		FROM import_jobs WHERE state IN ('done', 'partial', 'failed', 'cancelled')
		AND EXISTS (SELECT 1 FROM jsonb_array_elements(record->'sources') src WHERE coalesce(src->>'secret', '') <> '')
		ORDER BY id`},
	{"import job records", `SELECT 'import job ' || id, 'its record disagrees with its columns'
		FROM import_jobs WHERE record->>'id' IS DISTINCT FROM id OR record->>'owner' IS DISTINCT FROM owner
		OR record->>'state' IS DISTINCT FROM state ORDER BY id`},
	{"timelines outside calendars", `SELECT 'object ' || c.owner || '/' || c.name || '/' || o.name, 'a timeline in a collection that keeps none'
		FROM objects o JOIN collections c ON c.id = o.collection
		WHERE c.kind <> 1 AND (o.tl_known OR o.tl_renew OR EXISTS (SELECT 1 FROM timeline_periods p WHERE p.collection = o.collection AND p.name = o.name))
		ORDER BY c.owner, c.name, o.name`},
	{"timeline periods", `SELECT 'object ' || c.owner || '/' || c.name || '/' || p.name,
		CASE WHEN p.period_end < p.period_start THEN format('period ending %s before its start %s', p.period_end, p.period_start)
			ELSE 'periods of an unknown timeline' END
		FROM timeline_periods p JOIN collections c ON c.id = p.collection JOIN objects o ON o.collection = p.collection AND o.name = p.name
		WHERE p.period_end < p.period_start OR NOT o.tl_known ORDER BY c.owner, c.name, p.name, p.period_start`},
	{"active responders", `SELECT 'mailbox ' || service || '/' || local_key, 'more than one active responder'
		FROM responders WHERE active GROUP BY service, local_key HAVING count(*) > 1 ORDER BY service, local_key`},
}
