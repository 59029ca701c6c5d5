package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
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
}

func (r *mailServiceRecord) service() *storage.MailService {
	return &storage.MailService{
		ID:           r.ID,
		Org:          r.Org,
		Domain:       r.Domain,
		Plan:         r.Plan,
		AliasDomains: slices.Clone(r.AliasDomains),
		Created:      r.Created,
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

// getJSON decodes the value of key in b into a new T, nil when b or the
// key is missing.
func getJSON[T any](b *bbolt.Bucket, key, what string) (*T, error) {
	if b == nil {
		return nil, nil
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	var r T
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return &r, nil
}

func putJSON(b *bbolt.Bucket, key string, rec any) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
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
	b := nested(tx.Bucket(bucketMailboxes), service)
	if b == nil {
		return out, nil
	}
	err := b.ForEach(func(k, v []byte) error {
		var r mailboxRecord
		if v == nil {
			return fmt.Errorf("mailbox %s/%s: nested bucket: %w", service, k, errCorrupt)
		}
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("mailbox %s/%s: %w", service, k, err)
		}
		out = append(out, *r.mailbox())
		return nil
	})
	return out, err
}

func getMailboxLink(tx *bbolt.Tx, service, key, account string) (*mailboxLinkRecord, error) {
	return getJSON[mailboxLinkRecord](nested(tx.Bucket(bucketMailboxLinks), service, key), account,
		"mailbox link "+service+"/"+key+"/"+account)
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
	return deleteBucket(idx, id)
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
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
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
		return wrap(op, err)
	}
	*o = *r.org()
	return nil
}

// Organization returns the organization with the given ID.
func (db *DB) Organization(ctx context.Context, id string) (*storage.Organization, error) {
	const op = "get organization"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.Organization
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		r, err := getOrg(tx, id)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundOrg(id)
		}
		out = r.org()
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// OrganizationsOf returns the organizations account is a member of,
// ordered by Name, then ID, walking the account's index.
func (db *DB) OrganizationsOf(ctx context.Context, account string) ([]storage.Organization, error) {
	const op = "list organizations of account"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.Organization{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		for _, id := range keysOf(nested(tx.Bucket(bucketAccountOrgs), account)) {
			r, err := getOrg(tx, id)
			if err != nil {
				return err
			}
			if r == nil {
				return fmt.Errorf("organization index %s/%s: %w", account, id, errCorrupt)
			}
			out = append(out, *r.org())
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	slices.SortFunc(out, func(a, b storage.Organization) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// DeleteOrganization removes the organization, its Mail Services with
// their mailboxes and links, and its memberships in one transaction.
func (db *DB) DeleteOrganization(ctx context.Context, id string) error {
	const op = "delete organization"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getOrg(tx, id)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundOrg(id)
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
	return wrap(op, err)
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
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if r, err := getOrg(tx, m.Org); err != nil {
			return err
		} else if r == nil {
			return notFoundOrg(m.Org)
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
	return wrap(op, err)
}

func getMember(tx *bbolt.Tx, org, account string) (*storage.Member, error) {
	r, err := getJSON[memberRecord](nested(tx.Bucket(bucketOrgMembers), org), account, "member "+org+"/"+account)
	if err != nil || r == nil {
		return nil, err
	}
	return &storage.Member{Org: org, Account: account, Role: r.Role}, nil
}

// Member returns account's membership of org.
func (db *DB) Member(ctx context.Context, org, account string) (*storage.Member, error) {
	const op = "get member"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.Member
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		var err error
		out, err = getMember(tx, org, account)
		if err == nil && out == nil {
			err = notFoundMember(org, account)
		}
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Members returns org's members ordered by account ID.
func (db *DB) Members(ctx context.Context, org string) ([]storage.Member, error) {
	const op = "list members"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.Member{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if r, err := getOrg(tx, org); err != nil {
			return err
		} else if r == nil {
			return notFoundOrg(org)
		}
		b := nested(tx.Bucket(bucketOrgMembers), org)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r memberRecord
			if v == nil {
				return fmt.Errorf("member %s/%s: nested bucket: %w", org, k, errCorrupt)
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("member %s/%s: %w", org, k, err)
			}
			out = append(out, storage.Member{Org: org, Account: string(k), Role: r.Role})
			return nil
		})
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// DeleteMember removes account's membership of org.
func (db *DB) DeleteMember(ctx context.Context, org, account string) error {
	const op = "delete member"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		m, err := getMember(tx, org, account)
		if err != nil {
			return err
		}
		if m == nil {
			return notFoundMember(org, account)
		}
		if err := deleteNested(tx.Bucket(bucketOrgMembers), account, org); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketAccountOrgs), org, account)
	})
	return wrap(op, err)
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
	}
	if r.Created.IsZero() {
		r.Created = time.Now().UTC()
	}
	err = db.bdb.Update(func(tx *bbolt.Tx) error {
		if o, err := getOrg(tx, r.Org); err != nil {
			return err
		} else if o == nil {
			return notFoundOrg(r.Org)
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
		return wrap(op, err)
	}
	*s = *r.service()
	return nil
}

// MailService returns the service with the given ID.
func (db *DB) MailService(ctx context.Context, id string) (*storage.MailService, error) {
	const op = "get mail service"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.MailService
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		r, err := getService(tx, id)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundService(id)
		}
		out = r.service()
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// MailServiceByDomain returns the service whose domain or alias domain is
// domain, in any case.
func (db *DB) MailServiceByDomain(ctx context.Context, domain string) (*storage.MailService, error) {
	const op = "get mail service by domain"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.MailService
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		r, err := serviceByDomain(tx, domain)
		if err != nil {
			return err
		}
		if r == nil {
			return fmt.Errorf("mail domain %q: %w", domain, storage.ErrNotFound)
		}
		out = r.service()
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// MailServices returns org's services ordered by Domain.
func (db *DB) MailServices(ctx context.Context, org string) ([]storage.MailService, error) {
	const op = "list mail services"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.MailService{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if o, err := getOrg(tx, org); err != nil {
			return err
		} else if o == nil {
			return notFoundOrg(org)
		}
		for _, id := range keysOf(nested(tx.Bucket(bucketOrgServices), org)) {
			r, err := getService(tx, id)
			if err != nil {
				return err
			}
			if r == nil || r.Org != org {
				return fmt.Errorf("service index %s/%s: %w", org, id, errCorrupt)
			}
			out = append(out, *r.service())
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	slices.SortFunc(out, func(a, b storage.MailService) int { return strings.Compare(a.Domain, b.Domain) })
	return out, nil
}

// UpdateMailService replaces Plan and AliasDomains of the stored service
// s.ID, moving the alias domains in the domain index, and writes the
// result back into *s.
func (db *DB) UpdateMailService(ctx context.Context, s *storage.MailService) error {
	const op = "update mail service"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	var r *mailServiceRecord
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		var err error
		r, err = getService(tx, s.ID)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundService(s.ID)
		}
		_, aliases, err := normalizeDomains(&storage.MailService{Domain: r.Domain, AliasDomains: s.AliasDomains})
		if err != nil {
			return err
		}
		if err := claimDomains(tx, r.ID, aliases); err != nil {
			return err
		}
		domains := tx.Bucket(bucketMailDomains)
		for _, old := range r.AliasDomains {
			if !slices.Contains(aliases, old) {
				if err := domains.Delete([]byte(old)); err != nil {
					return err
				}
			}
		}
		r.Plan = s.Plan
		r.AliasDomains = aliases
		return putJSON(tx.Bucket(bucketMailServices), r.ID, r)
	})
	if err != nil {
		return wrap(op, err)
	}
	*s = *r.service()
	return nil
}

// DeleteMailService removes the service, its mailboxes, aliases and links
// and frees its domains, in one transaction.
func (db *DB) DeleteMailService(ctx context.Context, id string) error {
	const op = "delete mail service"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getService(tx, id)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundService(id)
		}
		return deleteService(tx, r)
	})
	return wrap(op, err)
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
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		if s, err := getService(tx, r.Service); err != nil {
			return err
		} else if s == nil {
			return notFoundService(r.Service)
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
		return wrap(op, err)
	}
	*m = *r.mailbox()
	return nil
}

// Mailbox returns the service's mailbox with local part local, in any
// case.
func (db *DB) Mailbox(ctx context.Context, service, local string) (*storage.Mailbox, error) {
	const op = "get mailbox"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.Mailbox
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		r, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailbox(service, local)
		}
		out = r.mailbox()
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Mailboxes returns the service's mailboxes ordered by lower-cased local
// part.
func (db *DB) Mailboxes(ctx context.Context, service string) ([]storage.Mailbox, error) {
	const op = "list mailboxes"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out []storage.Mailbox
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		if s, err := getService(tx, service); err != nil {
			return err
		} else if s == nil {
			return notFoundService(service)
		}
		var err error
		out, err = serviceMailboxes(tx, service)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// SetMailboxPassword sets the mailbox's password hash and PasswordChanged.
func (db *DB) SetMailboxPassword(ctx context.Context, service, local, hash string, when time.Time) error {
	const op = "set mailbox password"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailbox(service, local)
		}
		r.PasswordHash = hash
		r.PasswordChanged = when.UTC()
		return putMailbox(tx, r)
	})
	return wrap(op, err)
}

// DeleteMailbox removes the mailbox with its aliases and links in one
// transaction.
func (db *DB) DeleteMailbox(ctx context.Context, service, local string) error {
	const op = "delete mailbox"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailbox(service, local)
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
		return deleteNested(tx.Bucket(bucketMailboxes), key, service)
	})
	return wrap(op, err)
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
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailbox(service, local)
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
	return wrap(op, err)
}

// RemoveAlias removes alias (any case) from the mailbox.
func (db *DB) RemoveAlias(ctx context.Context, service, local, alias string) error {
	const op = "remove alias"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	alias = mailKey(alias)
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailbox(service, local)
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
	return wrap(op, err)
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
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		m, err := getMailbox(tx, l.Service, l.LocalPart)
		if err != nil {
			return err
		}
		if m == nil {
			return notFoundMailbox(l.Service, l.LocalPart)
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
		return wrap(op, err)
	}
	*l = *r.link()
	return nil
}

// MailboxLink returns the link of account to the mailbox.
func (db *DB) MailboxLink(ctx context.Context, service, local, account string) (*storage.MailboxLink, error) {
	const op = "get mailbox link"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	var out *storage.MailboxLink
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		r, err := getMailboxLink(tx, service, mailKey(local), account)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailboxLink(service, local, account)
		}
		out = r.link()
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// MailboxLinksOf returns account's links ordered by service ID, then
// lower-cased local part, walking the account's index.
func (db *DB) MailboxLinksOf(ctx context.Context, account string) ([]storage.MailboxLink, error) {
	const op = "list mailbox links of account"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.MailboxLink{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		idx := nested(tx.Bucket(bucketAccountMailboxLinks), account)
		for _, service := range keysOf(idx) {
			for _, key := range keysOf(nested(idx, service)) {
				r, err := getMailboxLink(tx, service, key, account)
				if err != nil {
					return err
				}
				if r == nil {
					return fmt.Errorf("mailbox link index %s/%s/%s: %w", account, service, key, errCorrupt)
				}
				out = append(out, *r.link())
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// MailboxLinksTo returns the links to the mailbox ordered by account ID.
func (db *DB) MailboxLinksTo(ctx context.Context, service, local string) ([]storage.MailboxLink, error) {
	const op = "list mailbox links to mailbox"
	if err := ctxErr(ctx, op); err != nil {
		return nil, err
	}
	out := []storage.MailboxLink{}
	err := db.bdb.View(func(tx *bbolt.Tx) error {
		m, err := getMailbox(tx, service, local)
		if err != nil {
			return err
		}
		if m == nil {
			return notFoundMailbox(service, local)
		}
		key := mailKey(m.LocalPart)
		b := nested(tx.Bucket(bucketMailboxLinks), service, key)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r mailboxLinkRecord
			if v == nil {
				return fmt.Errorf("mailbox link %s/%s/%s: nested bucket: %w", service, key, k, errCorrupt)
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("mailbox link %s/%s/%s: %w", service, key, k, err)
			}
			out = append(out, *r.link())
			return nil
		})
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// DeleteMailboxLink removes the link of account to the mailbox.
func (db *DB) DeleteMailboxLink(ctx context.Context, service, local, account string) error {
	const op = "delete mailbox link"
	if err := ctxErr(ctx, op); err != nil {
		return err
	}
	key := mailKey(local)
	err := db.bdb.Update(func(tx *bbolt.Tx) error {
		r, err := getMailboxLink(tx, service, key, account)
		if err != nil {
			return err
		}
		if r == nil {
			return notFoundMailboxLink(service, local, account)
		}
		if err := deleteNested(tx.Bucket(bucketMailboxLinks), account, service, key); err != nil {
			return err
		}
		return deleteNested(tx.Bucket(bucketAccountMailboxLinks), key, account, service)
	})
	return wrap(op, err)
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
		return tx.Bucket(bucketMailServices).ForEach(func(k, v []byte) error {
			var r mailServiceRecord
			if v == nil {
				return fmt.Errorf("mail service %q: nested bucket: %w", k, errCorrupt)
			}
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("mail service %q: %w", k, err)
			}
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
