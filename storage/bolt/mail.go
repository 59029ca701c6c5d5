package bolt

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"almanac/storage"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Organizations, their members, Mail Services, mailboxes and mailbox links
// are few and change rarely. They are JSON records written in plain
// transactions, with nested buckets as indexes:
//
//	orgs/<id>                                   JSON organization record
//	orgmembers/<org>/<account>                  JSON member record (role)
//	accountorgs/<account>/<org>                 empty: index of account's orgs
//	mailservices/<id>                           JSON service record
//	orgservices/<org>/<id>                      empty: index of org's services
//	maildomains/<domain>                        service id, for the primary
//	                                            and every alias domain
//	mailboxes/<service>/<local>                 JSON mailbox record
//	mailaliases/<service>/<alias>               local: the mailbox's key
//	mailboxlinks/<service>/<local>/<account>    JSON mailbox link record
//	accountmailboxlinks/<account>/<service>/<local>  empty: index of account's links
//
// <domain>, <local> and <alias> are lower case; a mailbox record keeps its
// local part as created. A domain lookup (MailServiceByDomain,
// ResolveAddress) is one Get in maildomains, which also makes a domain
// unique store-wide; a local part or alias is free in a service when
// neither mailboxes/<service> nor mailaliases/<service> holds it (two
// Gets). Members of an organization, its services, the links to a
// mailbox and the organizations and links of an account are walks of one
// nested bucket. Deletions cascade inside their transaction through these
// indexes, and buckets they leave empty are dropped.

var (
	bucketOrgs                = []byte("orgs")
	bucketOrgMembers          = []byte("orgmembers")
	bucketAccountOrgs         = []byte("accountorgs")
	bucketMailServices        = []byte("mailservices")
	bucketOrgServices         = []byte("orgservices")
	bucketMailDomains         = []byte("maildomains")
	bucketMailboxes           = []byte("mailboxes")
	bucketMailAliases         = []byte("mailaliases")
	bucketMailboxLinks        = []byte("mailboxlinks")
	bucketAccountMailboxLinks = []byte("accountmailboxlinks")
)

// mailBuckets are the top-level buckets of this file; Open creates them.
var mailBuckets = [][]byte{
	bucketOrgs, bucketOrgMembers, bucketAccountOrgs, bucketMailServices, bucketOrgServices,
	bucketMailDomains, bucketMailboxes, bucketMailAliases, bucketMailboxLinks, bucketAccountMailboxLinks,
}

// Stored forms; the JSON tags keep the file format independent of the
// domain types' field names.

type orgRecord struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Created time.Time `json:"created"`
}

func (r *orgRecord) org() *storage.Organization {
	return &storage.Organization{ID: r.ID, Name: r.Name, Created: r.Created}
}

type memberRecord struct {
	Role string `json:"role"`
}

type mailServiceRecord struct {
	ID           string    `json:"id"`
	Org          string    `json:"org"`
	Domain       string    `json:"domain"`
	Plan         string    `json:"plan"`
	AliasDomains []string  `json:"alias_domains,omitempty"`
	Created      time.Time `json:"created"`
	// Records written before the endpoints existed have neither key
	// and read back zero endpoints: the server's settings.
	IMAP       endpointRecord `json:"imap,omitzero"`
	Submission endpointRecord `json:"submission,omitzero"`
}

type endpointRecord struct {
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Security string `json:"security,omitempty"`
}

func endpointOf(e storage.MailEndpoint) endpointRecord {
	return endpointRecord{Host: e.Host, Port: e.Port, Security: e.Security}
}

func (r endpointRecord) endpoint() storage.MailEndpoint {
	return storage.MailEndpoint{Host: r.Host, Port: r.Port, Security: r.Security}
}

func (r *mailServiceRecord) service() *storage.MailService {
	return &storage.MailService{
		ID:           r.ID,
		Org:          r.Org,
		Domain:       r.Domain,
		Plan:         r.Plan,
		AliasDomains: slices.Clone(r.AliasDomains),
		Created:      r.Created,
		IMAP:         r.IMAP.endpoint(),
		Submission:   r.Submission.endpoint(),
	}
}

// domains returns the primary domain followed by the alias domains.
func (r *mailServiceRecord) domains() []string {
	return append([]string{r.Domain}, r.AliasDomains...)
}

type mailboxRecord struct {
	Service         string    `json:"service"`
	LocalPart       string    `json:"local_part"`
	PasswordHash    string    `json:"password_hash,omitempty"`
	Aliases         []string  `json:"aliases,omitempty"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed,omitzero"`
}

func (r *mailboxRecord) mailbox() *storage.Mailbox {
	return &storage.Mailbox{
		Service:         r.Service,
		LocalPart:       r.LocalPart,
		PasswordHash:    r.PasswordHash,
		Aliases:         slices.Clone(r.Aliases),
		Created:         r.Created,
		PasswordChanged: r.PasswordChanged,
	}
}

type mailboxLinkRecord struct {
	Service   string    `json:"service"`
	LocalPart string    `json:"local_part"`
	Account   string    `json:"account"`
	Rights    []string  `json:"rights,omitempty"`
	Created   time.Time `json:"created"`
}

func (r *mailboxLinkRecord) link() *storage.MailboxLink {
	return &storage.MailboxLink{
		Service:   r.Service,
		LocalPart: r.LocalPart,
		Account:   r.Account,
		Rights:    slices.Clone(r.Rights),
		Created:   r.Created,
	}
}

// Key helpers

// mailKey is the key of a domain, local part or alias: they compare
// case-insensitively.
func mailKey(s string) string {
	return strings.ToLower(s)
}

// nested returns the bucket reached from root through names, nil when
// one of them is missing.
func nested(root *bbolt.Bucket, names ...string) *bbolt.Bucket {
	b := root
	for _, n := range names {
		if b == nil {
			return nil
		}
		b = b.Bucket([]byte(n))
	}
	return b
}

// nestedCreate returns the bucket reached from root through names,
// creating what is missing.
func nestedCreate(root *bbolt.Bucket, names ...string) (*bbolt.Bucket, error) {
	b := root
	for _, n := range names {
		var err error
		if b, err = b.CreateBucketIfNotExists([]byte(n)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// deleteNested deletes key from the bucket root/names... and drops the
// buckets on the path that this leaves empty, deepest first.
func deleteNested(root *bbolt.Bucket, key string, names ...string) error {
	path := []*bbolt.Bucket{root}
	for _, n := range names {
		b := path[len(path)-1].Bucket([]byte(n))
		if b == nil {
			return nil
		}
		path = append(path, b)
	}
	if err := path[len(path)-1].Delete([]byte(key)); err != nil {
		return err
	}
	for i := len(names) - 1; i >= 0; i-- {
		if err := dropIfEmpty(path[i], []byte(names[i])); err != nil {
			return err
		}
	}
	return nil
}

// deleteBucket deletes the sub-bucket name of parent when there is one.
func deleteBucket(parent *bbolt.Bucket, name string) error {
	err := parent.DeleteBucket([]byte(name))
	if errors.Is(err, bberrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// keysOf returns copies of b's keys in order (nil b: none), so callers
// may delete while going through them.
func keysOf(b *bbolt.Bucket) []string {
	if b == nil {
		return nil
	}
	var out []string
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		out = append(out, string(k))
	}
	return out
}

// Errors

func notFoundOrg(id string) error {
	return fmt.Errorf("organization %q: %w", id, storage.ErrNotFound)
}

func notFoundMember(org, account string) error {
	return fmt.Errorf("member %q of organization %q: %w", account, org, storage.ErrNotFound)
}

func notFoundService(id string) error {
	return fmt.Errorf("mail service %q: %w", id, storage.ErrNotFound)
}

func notFoundMailbox(service, local string) error {
	return fmt.Errorf("mailbox %q of service %q: %w", local, service, storage.ErrNotFound)
}

func notFoundMailboxLink(service, local, account string) error {
	return fmt.Errorf("link of account %q to mailbox %q of service %q: %w", account, local, service, storage.ErrNotFound)
}

// Record access

func getOrg(tx *bbolt.Tx, id string) (*orgRecord, error) {
	r, err := getJSON[orgRecord](tx.Bucket(bucketOrgs), id, "organization "+id)
	if err == nil && r != nil && r.ID != id {
		return nil, fmt.Errorf("organization %q: key and record differ: %w", id, errCorrupt)
	}
	return r, err
}

func getService(tx *bbolt.Tx, id string) (*mailServiceRecord, error) {
	r, err := getJSON[mailServiceRecord](tx.Bucket(bucketMailServices), id, "mail service "+id)
	if err == nil && r != nil && r.ID != id {
		return nil, fmt.Errorf("mail service %q: key and record differ: %w", id, errCorrupt)
	}
	return r, err
}

// needOrg is getOrg with a missing organization ErrNotFound.
func needOrg(tx *bbolt.Tx, id string) (*orgRecord, error) {
	r, err := getOrg(tx, id)
	if err == nil && r == nil {
		err = notFoundOrg(id)
	}
	return r, err
}

// needService is getService with a missing service ErrNotFound.
func needService(tx *bbolt.Tx, id string) (*mailServiceRecord, error) {
	r, err := getService(tx, id)
	if err == nil && r == nil {
		err = notFoundService(id)
	}
	return r, err
}

// serviceByDomain returns the service whose primary or alias domain is
// domain (any case), nil when there is none.
func serviceByDomain(tx *bbolt.Tx, domain string) (*mailServiceRecord, error) {
	id := tx.Bucket(bucketMailDomains).Get([]byte(mailKey(domain)))
	if id == nil {
		return nil, nil
	}
	r, err := getService(tx, string(id))
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, fmt.Errorf("mail domain %q: service %q missing: %w", domain, id, errCorrupt)
	}
	return r, nil
}

// getMailbox returns the mailbox of service with local part local (any
// case), nil when there is none.
func getMailbox(tx *bbolt.Tx, service, local string) (*mailboxRecord, error) {
	key := mailKey(local)
	r, err := getJSON[mailboxRecord](nested(tx.Bucket(bucketMailboxes), service), key, "mailbox "+service+"/"+key)
	if err == nil && r != nil && (r.Service != service || mailKey(r.LocalPart) != key) {
		return nil, fmt.Errorf("mailbox %s/%s: key and record differ: %w", service, key, errCorrupt)
	}
	return r, err
}

// needMailbox is getMailbox with a missing mailbox ErrNotFound.
func needMailbox(tx *bbolt.Tx, service, local string) (*mailboxRecord, error) {
	r, err := getMailbox(tx, service, local)
	if err == nil && r == nil {
		err = notFoundMailbox(service, local)
	}
	return r, err
}

func putMailbox(tx *bbolt.Tx, r *mailboxRecord) error {
	b, err := nestedCreate(tx.Bucket(bucketMailboxes), r.Service)
	if err != nil {
		return err
	}
	return putJSON(b, mailKey(r.LocalPart), r)
}

// mailNameTaken reports whether name (lower case) is a mailbox local part
// or an alias in service.
func mailNameTaken(tx *bbolt.Tx, service, name string) bool {
	if b := nested(tx.Bucket(bucketMailboxes), service); b != nil && b.Get([]byte(name)) != nil {
		return true
	}
	b := nested(tx.Bucket(bucketMailAliases), service)
	return b != nil && b.Get([]byte(name)) != nil
}

// serviceMailboxes decodes the service's mailboxes in key order.
func serviceMailboxes(tx *bbolt.Tx, service string) ([]storage.Mailbox, error) {
	out := []storage.Mailbox{}
	err := eachJSON(nested(tx.Bucket(bucketMailboxes), service),
		func(k []byte) string { return fmt.Sprintf("mailbox %s/%s", service, k) },
		func(_ []byte, r *mailboxRecord) error {
			out = append(out, *r.mailbox())
			return nil
		})
	return out, err
}

func getMailboxLink(tx *bbolt.Tx, service, key, account string) (*mailboxLinkRecord, error) {
	return getJSON[mailboxLinkRecord](nested(tx.Bucket(bucketMailboxLinks), service, key), account,
		"mailbox link "+service+"/"+key+"/"+account)
}

// needMailboxLink is getMailboxLink for local part local (any case), with
// a missing link ErrNotFound.
func needMailboxLink(tx *bbolt.Tx, service, local, account string) (*mailboxLinkRecord, error) {
	r, err := getMailboxLink(tx, service, mailKey(local), account)
	if err == nil && r == nil {
		err = notFoundMailboxLink(service, local, account)
	}
	return r, err
}

// deleteMailboxLinks removes every link to the mailbox key of service and
// their account index entries.
func deleteMailboxLinks(tx *bbolt.Tx, service, key string) error {
	links := tx.Bucket(bucketMailboxLinks)
	idx := tx.Bucket(bucketAccountMailboxLinks)
	for _, account := range keysOf(nested(links, service, key)) {
		if err := deleteNested(idx, key, account, service); err != nil {
			return err
		}
	}
	if sb := links.Bucket([]byte(service)); sb != nil {
		if err := deleteBucket(sb, key); err != nil {
			return err
		}
	}
	return dropIfEmpty(links, []byte(service))
}

// deleteService removes the service r with its mailboxes, aliases, links,
// domains and its entry in the organization's index.
func deleteService(tx *bbolt.Tx, r *mailServiceRecord) error {
	for _, key := range keysOf(nested(tx.Bucket(bucketMailboxLinks), r.ID)) {
		if err := deleteMailboxLinks(tx, r.ID, key); err != nil {
			return err
		}
	}
	if err := deleteBucket(tx.Bucket(bucketMailboxes), r.ID); err != nil {
		return err
	}
	if err := deleteServiceResponders(tx, r.ID); err != nil {
		return err
	}
	if err := deleteBucket(tx.Bucket(bucketMailAliases), r.ID); err != nil {
		return err
	}
	domains := tx.Bucket(bucketMailDomains)
	for _, d := range r.domains() {
		if string(domains.Get([]byte(d))) == r.ID {
			if err := domains.Delete([]byte(d)); err != nil {
				return err
			}
		}
	}
	if err := deleteNested(tx.Bucket(bucketOrgServices), r.ID, r.Org); err != nil {
		return err
	}
	return tx.Bucket(bucketMailServices).Delete([]byte(r.ID))
}

// deleteAccountMail removes id's organization memberships and mailbox
// links; DeleteAccount calls it inside its transaction.
func deleteAccountMail(tx *bbolt.Tx, id string) error {
	members := tx.Bucket(bucketOrgMembers)
	for _, org := range keysOf(nested(tx.Bucket(bucketAccountOrgs), id)) {
		if err := deleteNested(members, id, org); err != nil {
			return err
		}
	}
	if err := deleteBucket(tx.Bucket(bucketAccountOrgs), id); err != nil {
		return err
	}

	idx := tx.Bucket(bucketAccountMailboxLinks)
	links := tx.Bucket(bucketMailboxLinks)
	for _, service := range keysOf(nested(idx, id)) {
		for _, key := range keysOf(nested(idx, id, service)) {
			if err := deleteNested(links, id, service, key); err != nil {
				return err
			}
		}
	}
	if err := deleteBucket(idx, id); err != nil {
		return err
	}
	return deleteAccountSendingAddresses(tx, id)
}

// normalizeDomains lower-cases the service's domains and drops repeated
// alias domains; an alias domain equal to the primary is ErrExists.
func normalizeDomains(s *storage.MailService) (string, []string, error) {
	domain := mailKey(s.Domain)
	if err := checkKey("mail domain", domain); err != nil {
		return "", nil, err
	}
	var aliases []string
	for _, a := range s.AliasDomains {
		a = mailKey(a)
		if err := checkKey("alias domain", a); err != nil {
			return "", nil, err
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

// claimDomains checks that each of domains is free or already service
// id's, then maps it to id.
func claimDomains(tx *bbolt.Tx, id string, domains []string) error {
	b := tx.Bucket(bucketMailDomains)
	for _, d := range domains {
		if v := b.Get([]byte(d)); v != nil && string(v) != id {
			return fmt.Errorf("mail domain %q: %w", d, storage.ErrExists)
		}
	}
	for _, d := range domains {
		if err := b.Put([]byte(d), []byte(id)); err != nil {
			return err
		}
	}
	return nil
}

// Organizations

// CreateOrganization stores o, filling a random ID when empty and Created
// when zero, and writes the stored organization back into *o.
func (db *DB) CreateOrganization(ctx context.Context, o *storage.Organization) error {
	const op = "create organization"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if o.ID != "" {
		if err := checkKey("organization id", o.ID); err != nil {
			return wrap(op, err)
		}
	}
	r := &orgRecord{ID: o.ID, Name: o.Name, Created: o.Created.UTC()}
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		orgs := tx.Bucket(bucketOrgs)
		if r.ID == "" {
			for r.ID = randomID(10); orgs.Get([]byte(r.ID)) != nil; r.ID = randomID(10) {
			}
		} else if orgs.Get([]byte(r.ID)) != nil {
			return fmt.Errorf("organization %q: %w", r.ID, storage.ErrExists)
		}
		return putJSON(orgs, r.ID, r)
	})
	if err != nil {
		return err
	}
	*o = *r.org()
	return nil
}

// Organization returns the organization with the given ID.
func (db *DB) Organization(ctx context.Context, id string) (*storage.Organization, error) {
	return view(db, ctx, "get organization", func(tx *bbolt.Tx) (*storage.Organization, error) {
		r, err := needOrg(tx, id)
		if err != nil {
			return nil, err
		}
		return r.org(), nil
	})
}

// OrganizationsOf returns the organizations account is a member of,
// ordered by Name, then ID, walking the account's index.
func (db *DB) OrganizationsOf(ctx context.Context, account string) ([]storage.Organization, error) {
	out, err := view(db, ctx, "list organizations of account", func(tx *bbolt.Tx) ([]storage.Organization, error) {
		return appendIndexed([]storage.Organization{}, keysOf(nested(tx.Bucket(bucketAccountOrgs), account)), "organization index", account,
			func(id string) (*orgRecord, error) { return getOrg(tx, id) }, nil, (*orgRecord).org)
	})
	slices.SortFunc(out, func(a, b storage.Organization) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return out, err
}

// DeleteOrganization removes the organization, its Mail Services with
// their mailboxes and links, and its memberships in one transaction.
func (db *DB) DeleteOrganization(ctx context.Context, id string) error {
	return db.exec(ctx, "delete organization", func(tx *bbolt.Tx) error {
		if _, err := needOrg(tx, id); err != nil {
			return err
		}
		for _, sid := range keysOf(nested(tx.Bucket(bucketOrgServices), id)) {
			s, err := getService(tx, sid)
			if err != nil {
				return err
			}
			if s == nil {
				return fmt.Errorf("service index %s/%s: %w", id, sid, errCorrupt)
			}
			if err := deleteService(tx, s); err != nil {
				return err
			}
		}
		if err := deleteBucket(tx.Bucket(bucketOrgServices), id); err != nil {
			return err
		}
		accountOrgs := tx.Bucket(bucketAccountOrgs)
		for _, account := range keysOf(nested(tx.Bucket(bucketOrgMembers), id)) {
			if err := deleteNested(accountOrgs, id, account); err != nil {
				return err
			}
		}
		if err := deleteBucket(tx.Bucket(bucketOrgMembers), id); err != nil {
			return err
		}
		return tx.Bucket(bucketOrgs).Delete([]byte(id))
	})
}

// Members

// PutMember adds m.Account to m.Org as m.Role or changes its role.
func (db *DB) PutMember(ctx context.Context, m storage.Member) error {
	const op = "put member"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("organization id", m.Org); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("account id", m.Account); err != nil {
		return wrap(op, err)
	}
	if m.Role == "" {
		return wrap(op, errors.New("empty role"))
	}
	return db.execChecked(op, func(tx *bbolt.Tx) error {
		if _, err := needOrg(tx, m.Org); err != nil {
			return err
		}
		if err := needAccount(tx, m.Account); err != nil {
			return err
		}
		mb, err := nestedCreate(tx.Bucket(bucketOrgMembers), m.Org)
		if err != nil {
			return err
		}
		if err := putJSON(mb, m.Account, &memberRecord{Role: m.Role}); err != nil {
			return err
		}
		ab, err := nestedCreate(tx.Bucket(bucketAccountOrgs), m.Account)
		if err != nil {
			return err
		}
		return ab.Put([]byte(m.Org), []byte{})
	})
}

// needMember returns account's membership of org, ErrNotFound when there
// is none.
func needMember(tx *bbolt.Tx, org, account string) (*storage.Member, error) {
	r, err := getJSON[memberRecord](nested(tx.Bucket(bucketOrgMembers), org), account, "member "+org+"/"+account)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, notFoundMember(org, account)
	}
	return &storage.Member{Org: org, Account: account, Role: r.Role}, nil
}

// Member returns account's membership of org.
func (db *DB) Member(ctx context.Context, org, account string) (*storage.Member, error) {
	return view(db, ctx, "get member", func(tx *bbolt.Tx) (*storage.Member, error) {
		return needMember(tx, org, account)
	})
}

// Members returns org's members ordered by account ID.
func (db *DB) Members(ctx context.Context, org string) ([]storage.Member, error) {
	return view(db, ctx, "list members", func(tx *bbolt.Tx) ([]storage.Member, error) {
		if _, err := needOrg(tx, org); err != nil {
			return nil, err
		}
		out := []storage.Member{}
		err := eachJSON(nested(tx.Bucket(bucketOrgMembers), org),
			func(k []byte) string { return fmt.Sprintf("member %s/%s", org, k) },
			func(k []byte, r *memberRecord) error {
				out = append(out, storage.Member{Org: org, Account: string(k), Role: r.Role})
				return nil
			})
		return out, err
	})
}

// DeleteMember removes account's membership of org.
func (db *DB) DeleteMember(ctx context.Context, org, account string) error {
	return db.exec(ctx, "delete member", func(tx *bbolt.Tx) error {
		if _, err := needMember(tx, org, account); err != nil {
			return err
		}
		if err := deleteNested(tx.Bucket(bucketOrgMembers), account, org); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketAccountOrgs), org, account)
	})
}

// Mail Services

// CreateMailService stores s with its domains lower case, filling a
// random ID when empty and Created when zero, and writes the stored
// service back into *s.
func (db *DB) CreateMailService(ctx context.Context, s *storage.MailService) error {
	const op = "create mail service"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if s.ID != "" {
		if err := checkKey("mail service id", s.ID); err != nil {
			return wrap(op, err)
		}
	}
	domain, aliases, err := normalizeDomains(s)
	if err != nil {
		return wrap(op, err)
	}
	r := &mailServiceRecord{
		ID:           s.ID,
		Org:          s.Org,
		Domain:       domain,
		Plan:         s.Plan,
		AliasDomains: aliases,
		Created:      s.Created.UTC(),
		IMAP:         endpointOf(s.IMAP),
		Submission:   endpointOf(s.Submission),
	}
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	err = db.execChecked(op, func(tx *bbolt.Tx) error {
		if _, err := needOrg(tx, r.Org); err != nil {
			return err
		}
		services := tx.Bucket(bucketMailServices)
		if r.ID == "" {
			for r.ID = randomID(10); services.Get([]byte(r.ID)) != nil; r.ID = randomID(10) {
			}
		} else if services.Get([]byte(r.ID)) != nil {
			return fmt.Errorf("mail service %q: %w", r.ID, storage.ErrExists)
		}
		if err := claimDomains(tx, r.ID, r.domains()); err != nil {
			return err
		}
		ob, err := nestedCreate(tx.Bucket(bucketOrgServices), r.Org)
		if err != nil {
			return err
		}
		if err := ob.Put([]byte(r.ID), []byte{}); err != nil {
			return err
		}
		return putJSON(services, r.ID, r)
	})
	if err != nil {
		return err
	}
	*s = *r.service()
	return nil
}

// MailService returns the service with the given ID.
func (db *DB) MailService(ctx context.Context, id string) (*storage.MailService, error) {
	return view(db, ctx, "get mail service", func(tx *bbolt.Tx) (*storage.MailService, error) {
		r, err := needService(tx, id)
		if err != nil {
			return nil, err
		}
		return r.service(), nil
	})
}

// MailServiceByDomain returns the service whose domain or alias domain is
// domain, in any case.
func (db *DB) MailServiceByDomain(ctx context.Context, domain string) (*storage.MailService, error) {
	return view(db, ctx, "get mail service by domain", func(tx *bbolt.Tx) (*storage.MailService, error) {
		r, err := serviceByDomain(tx, domain)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, fmt.Errorf("mail domain %q: %w", domain, storage.ErrNotFound)
		}
		return r.service(), nil
	})
}

// MailServices returns org's services ordered by Domain.
func (db *DB) MailServices(ctx context.Context, org string) ([]storage.MailService, error) {
	out, err := view(db, ctx, "list mail services", func(tx *bbolt.Tx) ([]storage.MailService, error) {
		if _, err := needOrg(tx, org); err != nil {
			return nil, err
		}
		return appendIndexed([]storage.MailService{}, keysOf(nested(tx.Bucket(bucketOrgServices), org)), "service index", org,
			func(id string) (*mailServiceRecord, error) { return getService(tx, id) },
			func(r *mailServiceRecord) bool { return r.Org == org }, (*mailServiceRecord).service)
	})
	slices.SortFunc(out, func(a, b storage.MailService) int { return strings.Compare(a.Domain, b.Domain) })
	return out, err
}

// UpdateMailService replaces Plan and AliasDomains of the stored service
// s.ID, moving the alias domains in the domain index, and writes the
// result back into *s.
func (db *DB) UpdateMailService(ctx context.Context, s *storage.MailService) error {
	out, err := update(db, ctx, "update mail service", func(tx *bbolt.Tx) (*storage.MailService, error) {
		r, err := needService(tx, s.ID)
		if err != nil {
			return nil, err
		}
		_, aliases, err := normalizeDomains(&storage.MailService{Domain: r.Domain, AliasDomains: s.AliasDomains})
		if err != nil {
			return nil, err
		}
		if err := claimDomains(tx, r.ID, aliases); err != nil {
			return nil, err
		}
		domains := tx.Bucket(bucketMailDomains)
		for _, old := range r.AliasDomains {
			if !slices.Contains(aliases, old) {
				if err := domains.Delete([]byte(old)); err != nil {
					return nil, err
				}
			}
		}
		r.Plan = s.Plan
		r.AliasDomains = aliases
		return r.service(), putJSON(tx.Bucket(bucketMailServices), r.ID, r)
	})
	if err != nil {
		return err
	}
	*s = *out
	return nil
}

// SetMailEndpoints replaces the service's IMAP and Submission endpoints
// and returns the stored service.
func (db *DB) SetMailEndpoints(ctx context.Context, id string, imap, submission storage.MailEndpoint) (*storage.MailService, error) {
	return update(db, ctx, "set mail endpoints", func(tx *bbolt.Tx) (*storage.MailService, error) {
		r, err := needService(tx, id)
		if err != nil {
			return nil, err
		}
		r.IMAP, r.Submission = endpointOf(imap), endpointOf(submission)
		return r.service(), putJSON(tx.Bucket(bucketMailServices), r.ID, r)
	})
}

// DeleteMailService removes the service, its mailboxes, aliases and links
// and frees its domains, in one transaction.
func (db *DB) DeleteMailService(ctx context.Context, id string) error {
	return db.exec(ctx, "delete mail service", func(tx *bbolt.Tx) error {
		r, err := needService(tx, id)
		if err != nil {
			return err
		}
		return deleteService(tx, r)
	})
}

// Mailboxes

// CreateMailbox stores m with its aliases lower case, filling Created
// when zero, and writes the stored mailbox back into *m.
func (db *DB) CreateMailbox(ctx context.Context, m *storage.Mailbox) error {
	const op = "create mailbox"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("mail service id", m.Service); err != nil {
		return wrap(op, err)
	}
	if err := checkKey("local part", m.LocalPart); err != nil {
		return wrap(op, err)
	}
	r := &mailboxRecord{
		Service:         m.Service,
		LocalPart:       m.LocalPart,
		PasswordHash:    m.PasswordHash,
		Created:         m.Created.UTC(),
		PasswordChanged: m.PasswordChanged.UTC(),
	}
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	names := []string{mailKey(m.LocalPart)}
	for _, a := range m.Aliases {
		a = mailKey(a)
		if err := checkKey("alias", a); err != nil {
			return wrap(op, err)
		}
		if slices.Contains(names, a) {
			return wrap(op, fmt.Errorf("alias %q given twice: %w", a, storage.ErrExists))
		}
		names = append(names, a)
		r.Aliases = append(r.Aliases, a)
	}
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		if _, err := needService(tx, r.Service); err != nil {
			return err
		}
		for _, n := range names {
			if mailNameTaken(tx, r.Service, n) {
				return fmt.Errorf("address %q of service %q: %w", n, r.Service, storage.ErrExists)
			}
		}
		if len(r.Aliases) > 0 {
			ab, err := nestedCreate(tx.Bucket(bucketMailAliases), r.Service)
			if err != nil {
				return err
			}
			for _, a := range r.Aliases {
				if err := ab.Put([]byte(a), []byte(names[0])); err != nil {
					return err
				}
			}
		}
		return putMailbox(tx, r)
	})
	if err != nil {
		return err
	}
	*m = *r.mailbox()
	return nil
}

// Mailbox returns the service's mailbox with local part local, in any
// case.
func (db *DB) Mailbox(ctx context.Context, service, local string) (*storage.Mailbox, error) {
	return view(db, ctx, "get mailbox", func(tx *bbolt.Tx) (*storage.Mailbox, error) {
		r, err := needMailbox(tx, service, local)
		if err != nil {
			return nil, err
		}
		return r.mailbox(), nil
	})
}

// Mailboxes returns the service's mailboxes ordered by lower-cased local
// part.
func (db *DB) Mailboxes(ctx context.Context, service string) ([]storage.Mailbox, error) {
	return view(db, ctx, "list mailboxes", func(tx *bbolt.Tx) ([]storage.Mailbox, error) {
		if _, err := needService(tx, service); err != nil {
			return nil, err
		}
		return serviceMailboxes(tx, service)
	})
}

// SetMailboxPassword sets the mailbox's password hash and PasswordChanged.
func (db *DB) SetMailboxPassword(ctx context.Context, service, local, hash string, when time.Time) error {
	return db.exec(ctx, "set mailbox password", func(tx *bbolt.Tx) error {
		r, err := needMailbox(tx, service, local)
		if err != nil {
			return err
		}
		r.PasswordHash = hash
		r.PasswordChanged = when.UTC()
		return putMailbox(tx, r)
	})
}

// DeleteMailbox removes the mailbox with its aliases and links in one
// transaction.
func (db *DB) DeleteMailbox(ctx context.Context, service, local string) error {
	return db.exec(ctx, "delete mailbox", func(tx *bbolt.Tx) error {
		r, err := needMailbox(tx, service, local)
		if err != nil {
			return err
		}
		key := mailKey(r.LocalPart)
		for _, a := range r.Aliases {
			if err := deleteNested(tx.Bucket(bucketMailAliases), a, service); err != nil {
				return err
			}
		}
		if err := deleteMailboxLinks(tx, service, key); err != nil {
			return err
		}
		if err := deleteMailboxResponders(tx, service, key); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketMailboxes), key, service)
	})
}

// Aliases

// AddAlias adds alias, lower case, to the mailbox unless it is taken in
// the service (ErrExists) or the mailbox has max aliases (ErrLimit). The
// check and the write share one write transaction, and bbolt runs those
// one at a time, so concurrent callers never exceed max.
func (db *DB) AddAlias(ctx context.Context, service, local, alias string, max int) error {
	const op = "add alias"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	alias = mailKey(alias)
	if err := checkKey("alias", alias); err != nil {
		return wrap(op, err)
	}
	return db.execChecked(op, func(tx *bbolt.Tx) error {
		r, err := needMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if mailNameTaken(tx, service, alias) {
			return fmt.Errorf("address %q of service %q: %w", alias, service, storage.ErrExists)
		}
		if max >= 0 && len(r.Aliases) >= max {
			return fmt.Errorf("mailbox %q of service %q has %d aliases: %w", r.LocalPart, service, len(r.Aliases), storage.ErrLimit)
		}
		ab, err := nestedCreate(tx.Bucket(bucketMailAliases), service)
		if err != nil {
			return err
		}
		if err := ab.Put([]byte(alias), []byte(mailKey(r.LocalPart))); err != nil {
			return err
		}
		r.Aliases = append(r.Aliases, alias)
		return putMailbox(tx, r)
	})
}

// RemoveAlias removes alias (any case) from the mailbox.
func (db *DB) RemoveAlias(ctx context.Context, service, local, alias string) error {
	alias = mailKey(alias)
	return db.exec(ctx, "remove alias", func(tx *bbolt.Tx) error {
		r, err := needMailbox(tx, service, local)
		if err != nil {
			return err
		}
		i := slices.Index(r.Aliases, alias)
		if i < 0 {
			return fmt.Errorf("alias %q of mailbox %q of service %q: %w", alias, r.LocalPart, service, storage.ErrNotFound)
		}
		r.Aliases = slices.Delete(r.Aliases, i, i+1)
		if len(r.Aliases) == 0 {
			r.Aliases = nil
		}
		if err := deleteNested(tx.Bucket(bucketMailAliases), alias, service); err != nil {
			return err
		}
		return putMailbox(tx, r)
	})
}

// ResolveAddress finds the service of address's domain (or alias domain)
// and then the mailbox of its local part, or the mailbox that has it as an
// alias: three or four Gets.
func (db *DB) ResolveAddress(ctx context.Context, address string) (*storage.MailService, *storage.Mailbox, bool, error) {
	const op = "resolve address"
	if err := ctxErr(ctx, op); err != nil {
		return nil, nil, false, err
	}
	var (
		service *storage.MailService
		mailbox *storage.Mailbox
		alias   bool
	)
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		notFound := fmt.Errorf("address %q: %w", address, storage.ErrNotFound)
		i := strings.LastIndexByte(address, '@')
		if i <= 0 || i == len(address)-1 {
			return notFound
		}
		local, domain := mailKey(address[:i]), address[i+1:]
		s, err := serviceByDomain(tx, domain)
		if err != nil {
			return err
		}
		if s == nil {
			return notFound
		}
		m, err := getMailbox(tx, s.ID, local)
		if err != nil {
			return err
		}
		if m == nil {
			var target []byte
			if ab := nested(tx.Bucket(bucketMailAliases), s.ID); ab != nil {
				target = ab.Get([]byte(local))
			}
			if target == nil {
				return notFound
			}
			if m, err = getMailbox(tx, s.ID, string(target)); err != nil {
				return err
			}
			if m == nil || !slices.Contains(m.Aliases, local) {
				return fmt.Errorf("alias %s/%s: %w", s.ID, local, errCorrupt)
			}
			alias = true
		}
		service, mailbox = s.service(), m.mailbox()
		return nil
	})
	if err != nil {
		return nil, nil, false, wrap(op, err)
	}
	return service, mailbox, alias, nil
}

// Mailbox links

// PutMailboxLink creates the link of l.Account to the mailbox, or
// replaces the rights of the existing one, and writes the stored link
// back into *l.
func (db *DB) PutMailboxLink(ctx context.Context, l *storage.MailboxLink) error {
	const op = "put mailbox link"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	if err := checkKey("account id", l.Account); err != nil {
		return wrap(op, err)
	}
	rights := slices.Compact(slices.Sorted(slices.Values(l.Rights)))
	if len(rights) == 0 {
		rights = nil
	}
	var r *mailboxLinkRecord
	err := db.execChecked(op, func(tx *bbolt.Tx) error {
		m, err := needMailbox(tx, l.Service, l.LocalPart)
		if err != nil {
			return err
		}
		if err := needAccount(tx, l.Account); err != nil {
			return err
		}
		key := mailKey(m.LocalPart)
		if r, err = getMailboxLink(tx, m.Service, key, l.Account); err != nil {
			return err
		}
		if r == nil {
			r = &mailboxLinkRecord{
				Service:   m.Service,
				LocalPart: m.LocalPart,
				Account:   l.Account,
				Created:   time.Now().UTC(),
			}
			ib, err := nestedCreate(tx.Bucket(bucketAccountMailboxLinks), l.Account, m.Service)
			if err != nil {
				return err
			}
			if err := ib.Put([]byte(key), []byte{}); err != nil {
				return err
			}
		}
		r.Rights = rights
		lb, err := nestedCreate(tx.Bucket(bucketMailboxLinks), m.Service, key)
		if err != nil {
			return err
		}
		return putJSON(lb, l.Account, r)
	})
	if err != nil {
		return err
	}
	*l = *r.link()
	return nil
}

// MailboxLink returns the link of account to the mailbox.
func (db *DB) MailboxLink(ctx context.Context, service, local, account string) (*storage.MailboxLink, error) {
	return view(db, ctx, "get mailbox link", func(tx *bbolt.Tx) (*storage.MailboxLink, error) {
		r, err := needMailboxLink(tx, service, local, account)
		if err != nil {
			return nil, err
		}
		return r.link(), nil
	})
}

// MailboxLinksOf returns account's links ordered by service ID, then
// lower-cased local part, walking the account's index.
func (db *DB) MailboxLinksOf(ctx context.Context, account string) ([]storage.MailboxLink, error) {
	return view(db, ctx, "list mailbox links of account", func(tx *bbolt.Tx) ([]storage.MailboxLink, error) {
		out := []storage.MailboxLink{}
		idx := nested(tx.Bucket(bucketAccountMailboxLinks), account)
		for _, service := range keysOf(idx) {
			var err error
			out, err = appendIndexed(out, keysOf(nested(idx, service)), "mailbox link index", account+"/"+service,
				func(key string) (*mailboxLinkRecord, error) { return getMailboxLink(tx, service, key, account) },
				nil, (*mailboxLinkRecord).link)
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	})
}

// MailboxLinksTo returns the links to the mailbox ordered by account ID.
func (db *DB) MailboxLinksTo(ctx context.Context, service, local string) ([]storage.MailboxLink, error) {
	return view(db, ctx, "list mailbox links to mailbox", func(tx *bbolt.Tx) ([]storage.MailboxLink, error) {
		m, err := needMailbox(tx, service, local)
		if err != nil {
			return nil, err
		}
		key := mailKey(m.LocalPart)
		out := []storage.MailboxLink{}
		err = eachJSON(nested(tx.Bucket(bucketMailboxLinks), service, key),
			func(k []byte) string { return fmt.Sprintf("mailbox link %s/%s/%s", service, key, k) },
			func(_ []byte, r *mailboxLinkRecord) error {
				out = append(out, *r.link())
				return nil
			})
		return out, err
	})
}

// DeleteMailboxLink removes the link of account to the mailbox.
func (db *DB) DeleteMailboxLink(ctx context.Context, service, local, account string) error {
	key := mailKey(local)
	return db.exec(ctx, "delete mailbox link", func(tx *bbolt.Tx) error {
		if _, err := needMailboxLink(tx, service, local, account); err != nil {
			return err
		}
		if err := deleteNested(tx.Bucket(bucketMailboxLinks), account, service, key); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketAccountMailboxLinks), key, account, service)
	})
}

// MailExport returns every service ordered by Domain and the mailboxes of
// each by service ID, read in one transaction.
func (db *DB) MailExport(ctx context.Context) ([]storage.MailService, map[string][]storage.Mailbox, error) {
	const op = "export mail"
	if err := ctxErr(ctx, op); err != nil {
		return nil, nil, err
	}
	services := []storage.MailService{}
	mailboxes := map[string][]storage.Mailbox{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		return eachJSON(tx.Bucket(bucketMailServices),
			func(k []byte) string { return fmt.Sprintf("mail service %q", k) },
			func(k []byte, r *mailServiceRecord) error {
				if !bytes.Equal(k, []byte(r.ID)) {
					return fmt.Errorf("mail service %q: key and record differ: %w", k, errCorrupt)
				}
				ms, err := serviceMailboxes(tx, r.ID)
				if err != nil {
					return err
				}
				services = append(services, *r.service())
				mailboxes[r.ID] = ms
				return nil
			})
	})
	if err != nil {
		return nil, nil, wrap(op, err)
	}
	slices.SortFunc(services, func(a, b storage.MailService) int { return strings.Compare(a.Domain, b.Domain) })
	return services, mailboxes, nil
}
