package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"almanac/storage"
)

// Domains, local parts and aliases are stored lower case (mailKey); a
// mailbox keeps its local part as created beside its key. A name is
// free in a service when mail_names has no row for it, so one INSERT
// claims it and its unique key decides races between servers.

func mailKey(s string) string { return strings.ToLower(s) }

type querier interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}

func exists(ctx context.Context, q querier, sql string, args ...any) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (`+sql+`)`, args...).Scan(&ok)
	return ok, err
}

func needOrg(ctx context.Context, q querier, id string) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM organizations WHERE id = $1`, id)
	if err == nil && !ok {
		err = fmt.Errorf("organization %q: %w", id, storage.ErrNotFound)
	}
	return err
}

func needService(ctx context.Context, q querier, id string) error {
	ok, err := exists(ctx, q, `SELECT 1 FROM mail_services WHERE id = $1`, id)
	if err == nil && !ok {
		err = fmt.Errorf("mail service %q: %w", id, storage.ErrNotFound)
	}
	return err
}

// Organizations

const orgColumns = `id, name, created, created_ns`

func scanOrg(row pgx.Row) (*storage.Organization, error) {
	var o storage.Organization
	var c nsTime
	if err := row.Scan(&o.ID, &o.Name, &c.t, &c.ns); err != nil {
		return nil, err
	}
	o.Created = c.time()
	return &o, nil
}

func (s *Store) CreateOrganization(ctx context.Context, o *storage.Organization) error {
	const op = "create organization"
	created := o.Created
	if created.IsZero() {
		created = now()
	}
	ct, cns := split(created)
	for {
		id := o.ID
		if id == "" {
			id = randomID(10)
		}
		out, err := scanOrg(s.pool.QueryRow(ctx, `INSERT INTO organizations (`+orgColumns+`) VALUES ($1, $2, $3, $4) RETURNING `+orgColumns,
			id, o.Name, ct, cns))
		if isUnique(err, "organizations_pkey") {
			if o.ID == "" {
				continue
			}
			return wrap(op, fmt.Errorf("organization %q: %w", id, storage.ErrExists))
		}
		if err != nil {
			return wrap(op, err)
		}
		*o = *out
		return nil
	}
}

func (s *Store) Organization(ctx context.Context, id string) (*storage.Organization, error) {
	o, err := scanOrg(s.pool.QueryRow(ctx, `SELECT `+orgColumns+` FROM organizations WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("organization %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get organization", err)
	}
	return o, nil
}

func (s *Store) OrganizationsOf(ctx context.Context, account string) ([]storage.Organization, error) {
	rows, err := s.pool.Query(ctx, `SELECT o.id, o.name, o.created, o.created_ns FROM organizations o
		JOIN members m ON m.org = o.id WHERE m.account = $1 ORDER BY o.name, o.id`, account)
	if err != nil {
		return nil, wrap("list organizations of account", err)
	}
	defer rows.Close()
	out := []storage.Organization{}
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, wrap("list organizations of account", err)
		}
		out = append(out, *o)
	}
	return out, wrap("list organizations of account", rows.Err())
}

// DeleteOrganization cascades to members, services, their domains,
// mailboxes, names, links, responders and templates.
func (s *Store) DeleteOrganization(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM organizations WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("organization %q: %w", id, storage.ErrNotFound)
	}
	return wrap("delete organization", err)
}

// Members

func (s *Store) PutMember(ctx context.Context, m storage.Member) error {
	const op = "put member"
	if m.Role == "" {
		return wrap(op, errors.New("empty role"))
	}
	return wrap(op, s.tx(ctx, func(tx pgx.Tx) error {
		if err := needOrg(ctx, tx, m.Org); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, m.Account); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO members (org, account, role) VALUES ($1, $2, $3)
			ON CONFLICT (org, account) DO UPDATE SET role = EXCLUDED.role`, m.Org, m.Account, m.Role)
		return err
	}))
}

func (s *Store) Member(ctx context.Context, org, account string) (*storage.Member, error) {
	m := storage.Member{Org: org, Account: account}
	err := s.pool.QueryRow(ctx, `SELECT role FROM members WHERE org = $1 AND account = $2`, org, account).Scan(&m.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("member %s/%s: %w", org, account, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get member", err)
	}
	return &m, nil
}

func (s *Store) Members(ctx context.Context, org string) ([]storage.Member, error) {
	out := []storage.Member{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := needOrg(ctx, tx, org); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT account, role FROM members WHERE org = $1 ORDER BY account`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m := storage.Member{Org: org}
			if err := rows.Scan(&m.Account, &m.Role); err != nil {
				return err
			}
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list members", err)
	}
	return out, nil
}

func (s *Store) DeleteMember(ctx context.Context, org, account string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM members WHERE org = $1 AND account = $2`, org, account)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("member %s/%s: %w", org, account, storage.ErrNotFound)
	}
	return wrap("delete member", err)
}

// Mail Services

const serviceColumns = `id, org, domain, plan, alias_domains, created, created_ns,
	imap_host, imap_port, imap_security, submission_host, submission_port, submission_security`

func scanService(row pgx.Row) (*storage.MailService, error) {
	var m storage.MailService
	var c nsTime
	var ip, sp int32
	err := row.Scan(&m.ID, &m.Org, &m.Domain, &m.Plan, &m.AliasDomains, &c.t, &c.ns,
		&m.IMAP.Host, &ip, &m.IMAP.Security, &m.Submission.Host, &sp, &m.Submission.Security)
	if err != nil {
		return nil, err
	}
	m.IMAP.Port, m.Submission.Port = int(ip), int(sp)
	m.AliasDomains = fromList(m.AliasDomains)
	m.Created = c.time()
	return &m, nil
}

func normalizeDomains(domain string, aliasDomains []string) (string, []string, error) {
	domain = mailKey(domain)
	if domain == "" {
		return "", nil, errors.New("empty mail domain")
	}
	var aliases []string
	for _, a := range aliasDomains {
		a = mailKey(a)
		if a == "" {
			return "", nil, errors.New("empty alias domain")
		}
		if a == domain {
			return "", nil, fmt.Errorf("alias domain %q is the service's domain: %w", a, storage.ErrExists)
		}
		if !slices.Contains(aliases, a) {
			aliases = append(aliases, a)
		}
	}
	return domain, aliases, nil
}

// claimDomains maps each domain to service id; a domain held by another
// service is ErrExists (and aborts the transaction).
func claimDomains(ctx context.Context, tx pgx.Tx, id string, domains []string) error {
	for _, d := range domains {
		tag, err := tx.Exec(ctx, `INSERT INTO mail_domains (domain, service) VALUES ($1, $2) ON CONFLICT (domain) DO NOTHING`, d, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var holder string
			if err := tx.QueryRow(ctx, `SELECT service FROM mail_domains WHERE domain = $1`, d).Scan(&holder); err != nil {
				return err
			}
			if holder != id {
				return fmt.Errorf("mail domain %q: %w", d, storage.ErrExists)
			}
		}
	}
	return nil
}

func (s *Store) CreateMailService(ctx context.Context, ms *storage.MailService) error {
	const op = "create mail service"
	domain, aliases, err := normalizeDomains(ms.Domain, ms.AliasDomains)
	if err != nil {
		return wrap(op, err)
	}
	created := ms.Created
	if created.IsZero() {
		created = now()
	}
	ct, cns := split(created)
	var out *storage.MailService
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if err := needOrg(ctx, tx, ms.Org); err != nil {
			return err
		}
		id := ms.ID
		for {
			if ms.ID == "" {
				id = randomID(10)
			}
			taken, err := exists(ctx, tx, `SELECT 1 FROM mail_services WHERE id = $1`, id)
			if err != nil {
				return err
			}
			if !taken {
				break
			}
			if ms.ID != "" {
				return fmt.Errorf("mail service %q: %w", id, storage.ErrExists)
			}
		}
		var err error
		out, err = scanService(tx.QueryRow(ctx, `INSERT INTO mail_services (id, org, domain, plan, alias_domains, created, created_ns,
			imap_host, imap_port, imap_security, submission_host, submission_port, submission_security)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING `+serviceColumns,
			id, ms.Org, domain, ms.Plan, list(aliases), ct, cns,
			ms.IMAP.Host, ms.IMAP.Port, ms.IMAP.Security, ms.Submission.Host, ms.Submission.Port, ms.Submission.Security))
		if isUnique(err, "mail_services_pkey") {
			return fmt.Errorf("mail service %q: %w", id, storage.ErrExists)
		}
		if err != nil {
			return err
		}
		return claimDomains(ctx, tx, id, append([]string{domain}, aliases...))
	})
	if err != nil {
		return wrap(op, err)
	}
	*ms = *out
	return nil
}

func (s *Store) MailService(ctx context.Context, id string) (*storage.MailService, error) {
	m, err := scanService(s.pool.QueryRow(ctx, `SELECT `+serviceColumns+` FROM mail_services WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("mail service %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get mail service", err)
	}
	return m, nil
}

func (s *Store) MailServiceByDomain(ctx context.Context, domain string) (*storage.MailService, error) {
	m, err := scanService(s.pool.QueryRow(ctx, `SELECT `+serviceColumns+` FROM mail_services
		WHERE id = (SELECT service FROM mail_domains WHERE domain = $1)`, mailKey(domain)))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("mail domain %q: %w", domain, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get mail service by domain", err)
	}
	return m, nil
}

func (s *Store) MailServices(ctx context.Context, org string) ([]storage.MailService, error) {
	out := []storage.MailService{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := needOrg(ctx, tx, org); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+serviceColumns+` FROM mail_services WHERE org = $1 ORDER BY domain`, org)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanService(rows)
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap("list mail services", err)
	}
	return out, nil
}

func (s *Store) UpdateMailService(ctx context.Context, ms *storage.MailService) error {
	var out *storage.MailService
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var domain string
		err := tx.QueryRow(ctx, `SELECT domain FROM mail_services WHERE id = $1 FOR UPDATE`, ms.ID).Scan(&domain)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("mail service %q: %w", ms.ID, storage.ErrNotFound)
		}
		if err != nil {
			return err
		}
		_, aliases, err := normalizeDomains(domain, ms.AliasDomains)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM mail_domains WHERE service = $1 AND domain <> $2 AND NOT domain = ANY($3)`,
			ms.ID, domain, list(aliases)); err != nil {
			return err
		}
		if err := claimDomains(ctx, tx, ms.ID, aliases); err != nil {
			return err
		}
		out, err = scanService(tx.QueryRow(ctx, `UPDATE mail_services SET plan = $2, alias_domains = $3 WHERE id = $1 RETURNING `+serviceColumns,
			ms.ID, ms.Plan, list(aliases)))
		return err
	})
	if err != nil {
		return wrap("update mail service", err)
	}
	*ms = *out
	return nil
}

func (s *Store) DeleteMailService(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mail_services WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("mail service %q: %w", id, storage.ErrNotFound)
	}
	return wrap("delete mail service", err)
}

func (s *Store) SetMailEndpoints(ctx context.Context, id string, imap, submission storage.MailEndpoint) (*storage.MailService, error) {
	m, err := scanService(s.pool.QueryRow(ctx, `UPDATE mail_services SET imap_host = $2, imap_port = $3, imap_security = $4,
		submission_host = $5, submission_port = $6, submission_security = $7 WHERE id = $1 RETURNING `+serviceColumns,
		id, imap.Host, imap.Port, imap.Security, submission.Host, submission.Port, submission.Security))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("mail service %q: %w", id, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("set mail endpoints", err)
	}
	return m, nil
}

// Mailboxes

const mailboxColumns = `m.service, m.local_part, m.password_hash, m.created, m.created_ns, m.password_changed, m.password_changed_ns,
	(SELECT coalesce(array_agg(n.name ORDER BY n.position), '{}') FROM mail_names n
		WHERE n.service = m.service AND n.local_key = m.local_key AND n.alias)`

func scanMailbox(row pgx.Row) (*storage.Mailbox, error) {
	var m storage.Mailbox
	var c, pc nsTime
	if err := row.Scan(&m.Service, &m.LocalPart, &m.PasswordHash, &c.t, &c.ns, &pc.t, &pc.ns, &m.Aliases); err != nil {
		return nil, err
	}
	m.Created, m.PasswordChanged = c.time(), pc.time()
	m.Aliases = fromList(m.Aliases)
	return &m, nil
}

func notFoundMailbox(service, local string) error {
	return fmt.Errorf("mailbox %s/%s: %w", service, mailKey(local), storage.ErrNotFound)
}

func getMailbox(ctx context.Context, q querier, service, local string, lock bool) (*storage.Mailbox, error) {
	sql := `SELECT ` + mailboxColumns + ` FROM mailboxes m WHERE m.service = $1 AND m.local_key = $2`
	if lock {
		sql += ` FOR UPDATE OF m`
	}
	mb, err := scanMailbox(q.QueryRow(ctx, sql, service, mailKey(local)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFoundMailbox(service, local)
	}
	return mb, err
}

// claimName takes name in service for the mailbox local_key; a name
// held already (local part or alias, any mailbox) is ErrExists.
func claimName(ctx context.Context, tx pgx.Tx, service, name, localKey string, alias bool) error {
	tag, err := tx.Exec(ctx, `INSERT INTO mail_names (service, name, local_key, alias) VALUES ($1, $2, $3, $4)
		ON CONFLICT (service, name) DO NOTHING`, service, name, localKey, alias)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("address %q of service %q: %w", name, service, storage.ErrExists)
	}
	return err
}

func (s *Store) CreateMailbox(ctx context.Context, m *storage.Mailbox) error {
	const op = "create mailbox"
	if m.Service == "" || m.LocalPart == "" {
		return wrap(op, errors.New("empty service or local part"))
	}
	key := mailKey(m.LocalPart)
	names := []string{key}
	var aliases []string
	for _, a := range m.Aliases {
		a = mailKey(a)
		if a == "" {
			return wrap(op, errors.New("empty alias"))
		}
		if slices.Contains(names, a) {
			return wrap(op, fmt.Errorf("alias %q given twice: %w", a, storage.ErrExists))
		}
		names = append(names, a)
		aliases = append(aliases, a)
	}
	created := m.Created
	if created.IsZero() {
		created = now()
	}
	ct, cns := split(created)
	pt, pns := split(m.PasswordChanged)
	var out *storage.Mailbox
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// The service row's lock orders creators of one service, so a
		// name taken by a racing creator is seen, not a deadlock.
		ok, err := exists(ctx, tx, `SELECT 1 FROM mail_services WHERE id = $1 FOR UPDATE`, m.Service)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("mail service %q: %w", m.Service, storage.ErrNotFound)
		}
		if taken, err := exists(ctx, tx, `SELECT 1 FROM mail_names WHERE service = $1 AND name = ANY($2)`, m.Service, names); err != nil || taken {
			if err == nil {
				err = fmt.Errorf("an address of mailbox %q of service %q: %w", key, m.Service, storage.ErrExists)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mailboxes (service, local_key, local_part, password_hash, created, created_ns,
			password_changed, password_changed_ns) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			m.Service, key, m.LocalPart, m.PasswordHash, ct, cns, pt, pns); err != nil {
			return err
		}
		if err := claimName(ctx, tx, m.Service, key, key, false); err != nil {
			return err
		}
		for _, a := range aliases {
			if err := claimName(ctx, tx, m.Service, a, key, true); err != nil {
				return err
			}
		}
		out, err = getMailbox(ctx, tx, m.Service, key, false)
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	*m = *out
	return nil
}

func (s *Store) Mailbox(ctx context.Context, service, local string) (*storage.Mailbox, error) {
	m, err := getMailbox(ctx, s.pool, service, local, false)
	if err != nil {
		return nil, wrap("get mailbox", err)
	}
	return m, nil
}

func serviceMailboxes(ctx context.Context, tx pgx.Tx, service string) ([]storage.Mailbox, error) {
	rows, err := tx.Query(ctx, `SELECT `+mailboxColumns+` FROM mailboxes m WHERE m.service = $1 ORDER BY m.local_key`, service)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.Mailbox{}
	for rows.Next() {
		m, err := scanMailbox(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

func (s *Store) Mailboxes(ctx context.Context, service string) ([]storage.Mailbox, error) {
	var out []storage.Mailbox
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := needService(ctx, tx, service); err != nil {
			return err
		}
		var err error
		out, err = serviceMailboxes(ctx, tx, service)
		return err
	})
	if err != nil {
		return nil, wrap("list mailboxes", err)
	}
	return out, nil
}

func (s *Store) SetMailboxPassword(ctx context.Context, service, local, hash string, when time.Time) error {
	wt, wns := split(when)
	tag, err := s.pool.Exec(ctx, `UPDATE mailboxes SET password_hash = $3, password_changed = $4, password_changed_ns = $5
		WHERE service = $1 AND local_key = $2`, service, mailKey(local), hash, wt, wns)
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundMailbox(service, local)
	}
	return wrap("set mailbox password", err)
}

// DeleteMailbox cascades to its names, links and responders.
func (s *Store) DeleteMailbox(ctx context.Context, service, local string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mailboxes WHERE service = $1 AND local_key = $2`, service, mailKey(local))
	if err == nil && tag.RowsAffected() == 0 {
		err = notFoundMailbox(service, local)
	}
	return wrap("delete mailbox", err)
}

// AddAlias locks the mailbox row, so of concurrent callers (on any
// server) each counts the aliases the ones before it added. Under read
// committed a statement that waited for a lock still sees its own
// snapshot in subqueries: counts come from a statement after the lock.
func (s *Store) AddAlias(ctx context.Context, service, local, alias string, max int) error {
	const op = "add alias"
	alias = mailKey(alias)
	if alias == "" {
		return wrap(op, errors.New("empty alias"))
	}
	return wrap(op, s.tx(ctx, func(tx pgx.Tx) error {
		m, err := getMailbox(ctx, tx, service, local, true)
		if err != nil {
			return err
		}
		if taken, err := exists(ctx, tx, `SELECT 1 FROM mail_names WHERE service = $1 AND name = $2`, service, alias); err != nil || taken {
			if err == nil {
				err = fmt.Errorf("address %q of service %q: %w", alias, service, storage.ErrExists)
			}
			return err
		}
		// Counted by a statement of its own, after the lock: the
		// aliases getMailbox aggregated were read with the snapshot
		// taken before it waited for a racing AddAlias to commit.
		var have int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM mail_names WHERE service = $1 AND local_key = $2 AND alias`,
			service, mailKey(m.LocalPart)).Scan(&have); err != nil {
			return err
		}
		if max >= 0 && have >= max {
			return fmt.Errorf("mailbox %q of service %q has %d aliases: %w", m.LocalPart, service, have, storage.ErrLimit)
		}
		return claimName(ctx, tx, service, alias, mailKey(m.LocalPart), true)
	}))
}

func (s *Store) RemoveAlias(ctx context.Context, service, local, alias string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mail_names WHERE service = $1 AND name = $2 AND local_key = $3 AND alias`,
		service, mailKey(alias), mailKey(local))
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("alias %q of mailbox %q of service %q: %w", mailKey(alias), mailKey(local), service, storage.ErrNotFound)
	}
	return wrap("remove alias", err)
}

func (s *Store) ResolveAddress(ctx context.Context, address string) (*storage.MailService, *storage.Mailbox, bool, error) {
	const op = "resolve address"
	notFound := fmt.Errorf("address %q: %w", address, storage.ErrNotFound)
	i := strings.LastIndexByte(address, '@')
	if i <= 0 || i == len(address)-1 {
		return nil, nil, false, wrap(op, notFound)
	}
	local, domain := mailKey(address[:i]), mailKey(address[i+1:])
	var (
		svc   *storage.MailService
		mb    *storage.Mailbox
		alias bool
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		svc, err = scanService(tx.QueryRow(ctx, `SELECT `+serviceColumns+` FROM mail_services
			WHERE id = (SELECT service FROM mail_domains WHERE domain = $1)`, domain))
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		var key string
		err = tx.QueryRow(ctx, `SELECT local_key, alias FROM mail_names WHERE service = $1 AND name = $2`, svc.ID, local).Scan(&key, &alias)
		if errors.Is(err, pgx.ErrNoRows) {
			return notFound
		}
		if err != nil {
			return err
		}
		mb, err = getMailbox(ctx, tx, svc.ID, key, false)
		return err
	})
	if err != nil {
		return nil, nil, false, wrap(op, err)
	}
	return svc, mb, alias, nil
}

// Mailbox links

const mailboxLinkColumns = `l.service, m.local_part, l.account, l.rights, l.created`

func scanMailboxLink(row pgx.Row) (*storage.MailboxLink, error) {
	var l storage.MailboxLink
	if err := row.Scan(&l.Service, &l.LocalPart, &l.Account, &l.Rights, &l.Created); err != nil {
		return nil, err
	}
	l.Rights = fromList(l.Rights)
	l.Created = l.Created.UTC()
	return &l, nil
}

func mailboxLinks(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]storage.MailboxLink, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []storage.MailboxLink{}
	for rows.Next() {
		l, err := scanMailboxLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *l)
	}
	return out, rows.Err()
}

const mailboxLinkFrom = ` FROM mailbox_links l JOIN mailboxes m ON m.service = l.service AND m.local_key = l.local_key `

func (s *Store) PutMailboxLink(ctx context.Context, l *storage.MailboxLink) error {
	const op = "put mailbox link"
	rights := slices.Compact(slices.Sorted(slices.Values(l.Rights)))
	var out *storage.MailboxLink
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := getMailbox(ctx, tx, l.Service, l.LocalPart, false); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, l.Account); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO mailbox_links (service, local_key, account, rights, created) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (service, local_key, account) DO UPDATE SET rights = EXCLUDED.rights`,
			l.Service, mailKey(l.LocalPart), l.Account, list(rights), now()); err != nil {
			return err
		}
		var err error
		out, err = scanMailboxLink(tx.QueryRow(ctx, `SELECT `+mailboxLinkColumns+mailboxLinkFrom+
			`WHERE l.service = $1 AND l.local_key = $2 AND l.account = $3`, l.Service, mailKey(l.LocalPart), l.Account))
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	*l = *out
	return nil
}

func (s *Store) MailboxLink(ctx context.Context, service, local, account string) (*storage.MailboxLink, error) {
	l, err := scanMailboxLink(s.pool.QueryRow(ctx, `SELECT `+mailboxLinkColumns+mailboxLinkFrom+
		`WHERE l.service = $1 AND l.local_key = $2 AND l.account = $3`, service, mailKey(local), account))
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("mailbox link %s/%s/%s: %w", service, mailKey(local), account, storage.ErrNotFound)
	}
	if err != nil {
		return nil, wrap("get mailbox link", err)
	}
	return l, nil
}

func (s *Store) MailboxLinksOf(ctx context.Context, account string) ([]storage.MailboxLink, error) {
	var out []storage.MailboxLink
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		out, err = mailboxLinks(ctx, tx, `SELECT `+mailboxLinkColumns+mailboxLinkFrom+`WHERE l.account = $1 ORDER BY l.service, l.local_key`, account)
		return err
	})
	if err != nil {
		return nil, wrap("list mailbox links of account", err)
	}
	return out, nil
}

func (s *Store) MailboxLinksTo(ctx context.Context, service, local string) ([]storage.MailboxLink, error) {
	var out []storage.MailboxLink
	err := s.read(ctx, func(tx pgx.Tx) error {
		if _, err := getMailbox(ctx, tx, service, local, false); err != nil {
			return err
		}
		var err error
		out, err = mailboxLinks(ctx, tx, `SELECT `+mailboxLinkColumns+mailboxLinkFrom+
			`WHERE l.service = $1 AND l.local_key = $2 ORDER BY l.account`, service, mailKey(local))
		return err
	})
	if err != nil {
		return nil, wrap("list mailbox links to mailbox", err)
	}
	return out, nil
}

func (s *Store) DeleteMailboxLink(ctx context.Context, service, local, account string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM mailbox_links WHERE service = $1 AND local_key = $2 AND account = $3`, service, mailKey(local), account)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("mailbox link %s/%s/%s: %w", service, mailKey(local), account, storage.ErrNotFound)
	}
	return wrap("delete mailbox link", err)
}

// MailExport reads every service and mailbox in one snapshot.
func (s *Store) MailExport(ctx context.Context) ([]storage.MailService, map[string][]storage.Mailbox, error) {
	services := []storage.MailService{}
	mailboxes := map[string][]storage.Mailbox{}
	err := s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+serviceColumns+` FROM mail_services ORDER BY domain`)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, err := scanService(rows)
			if err != nil {
				rows.Close()
				return err
			}
			services = append(services, *m)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, svc := range services {
			ms, err := serviceMailboxes(ctx, tx, svc.ID)
			if err != nil {
				return err
			}
			mailboxes[svc.ID] = ms
		}
		return nil
	})
	if err != nil {
		return nil, nil, wrap("export mail", err)
	}
	return services, mailboxes, nil
}
