-- Schema version 1: the whole storage.Store. Each role's tables are
-- here even where its Go methods are not written yet, so that later
-- work adds code, not schema. Conventions: account, collection and
-- mail names are the text the storage API uses; case-insensitive
-- uniqueness goes through a *_key column holding the lower-cased form
-- (lower() in Go, so the rule does not depend on the cluster's locale);
-- lists are text[] and empty lists are '{}' (read back as nil);
-- property maps are jsonb objects; times are timestamptz (microseconds;
-- storagetest allows that precision for what the store stamps itself).
-- An instant a caller gives (an expiry, a last use, an explicit creation
-- time) must read back exactly, so it has a companion <column>_ns with
-- the nanoseconds below the microsecond, compared as a row
-- ((expires, expires_ns) > ($1, $2)). Every text column is COLLATE "C":
-- names sort bytewise, as in Go and the bbolt backend, whatever the
-- cluster's locale.

-- Store-wide facts (e.g. what `almanac migrate` copied from and when it
-- finished), so a move can tell a finished target from a half-copied one.
CREATE TABLE store_meta (
	key   text COLLATE "C" PRIMARY KEY,
	value text COLLATE "C" NOT NULL
);

-- Accounts
CREATE TABLE accounts (
	id               text COLLATE "C" PRIMARY KEY,
	login            text COLLATE "C" NOT NULL,
	login_key        text COLLATE "C" NOT NULL UNIQUE,
	display_name     text COLLATE "C" NOT NULL DEFAULT '',
	password_hash    text COLLATE "C" NOT NULL DEFAULT '',
	created          timestamptz NOT NULL,
	created_ns       smallint NOT NULL DEFAULT 0,
	recovery_email   text COLLATE "C" NOT NULL DEFAULT '',
	mobile           text COLLATE "C" NOT NULL DEFAULT '',
	totp_secret      text COLLATE "C" NOT NULL DEFAULT '',
	totp_enabled     boolean NOT NULL DEFAULT false,
	totp_last_step   bigint NOT NULL DEFAULT 0,
	recovery_codes   text[] NOT NULL DEFAULT '{}',
	password_changed timestamptz,
	password_changed_ns smallint NOT NULL DEFAULT 0,
	admin            boolean NOT NULL DEFAULT false,
	disabled         boolean NOT NULL DEFAULT false
);
CREATE INDEX accounts_mobile ON accounts (mobile) WHERE mobile <> '';

-- DAV. A collection row is the lock every writer of the collection
-- takes (UPDATE ... seq = seq + 1 RETURNING seq, or SELECT ... FOR
-- UPDATE): the counter, the objects and the change records change in
-- that one transaction. id is internal and survives MoveCollection, so
-- a rename moves no member row.
CREATE TABLE collections (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	owner       text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name        text COLLATE "C" NOT NULL,
	kind        smallint NOT NULL,
	incarnation text COLLATE "C" NOT NULL,
	seq         bigint NOT NULL DEFAULT 0,
	pruned      bigint NOT NULL DEFAULT 0,
	components  text[] NOT NULL DEFAULT '{}',
	props       jsonb NOT NULL DEFAULT '{}',
	created     timestamptz NOT NULL,
	modified    timestamptz NOT NULL,
	UNIQUE (owner, name)
);

-- Objects keep their bytes in the row: PostgreSQL moves large values
-- out of line (TOAST), and a SELECT that does not name data never reads
-- them, so List and the time-range prefilter stay metadata-only.
CREATE TABLE objects (
	collection   bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	name         text COLLATE "C" NOT NULL,
	uid          text COLLATE "C" NOT NULL DEFAULT '',
	component    text COLLATE "C" NOT NULL DEFAULT '',
	content_type text COLLATE "C" NOT NULL DEFAULT '',
	etag         text COLLATE "C" NOT NULL,
	size         bigint NOT NULL,
	modified     timestamptz NOT NULL,
	seq          bigint NOT NULL,
	-- Span: span_start NULL = unknown; span_end NULL with a start = open.
	span_start   timestamptz,
	span_end     timestamptz,
	schedule_tag text COLLATE "C" NOT NULL DEFAULT '',
	-- Timeline (storage.Timeline) of a member of a calendar: its
	-- bounds and flags here, its periods in timeline_periods. Members
	-- of other collections keep the zero timeline.
	tl_known     boolean NOT NULL DEFAULT false,
	tl_from      timestamptz,
	tl_until     timestamptz,
	tl_tag       smallint NOT NULL DEFAULT 0,
	tl_renew     boolean NOT NULL DEFAULT false,
	data         bytea NOT NULL,
	PRIMARY KEY (collection, name)
);
CREATE INDEX objects_due ON objects (collection) WHERE tl_renew;
-- The UID rule is checked in Go under the collection lock (it must name
-- the member in the way); the index finds the holder and backs the rule.
CREATE UNIQUE INDEX objects_uid ON objects (collection, uid) WHERE uid <> '';
-- Time index: calendar-query's prefilter and FindUID-free range reads.
CREATE INDEX objects_span ON objects (collection, span_start, span_end) WHERE span_start IS NOT NULL;

-- The time index: one row per period of a member's timeline, whole
-- seconds, an instant with period_end = period_start. A write replaces
-- a member's rows in its transaction; ON DELETE CASCADE drops them with
-- the member and ON UPDATE CASCADE follows no rename (member names do
-- not change in place: a MOVE writes a new row).
CREATE TABLE timeline_periods (
	collection   bigint NOT NULL,
	name         text COLLATE "C" NOT NULL,
	period_start timestamptz NOT NULL,
	period_end   timestamptz NOT NULL,
	FOREIGN KEY (collection, name) REFERENCES objects (collection, name) ON DELETE CASCADE
);
CREATE INDEX timeline_periods_start ON timeline_periods (collection, period_start);
CREATE INDEX timeline_periods_member ON timeline_periods (collection, name);

-- The change log keeps one record per member name, like bolt: a write
-- replaces the name's record. deleted records are the tombstones.
-- written dates the change for PruneChanges.
CREATE TABLE changes (
	collection bigint NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	name       text COLLATE "C" NOT NULL,
	seq        bigint NOT NULL,
	deleted    boolean NOT NULL,
	written    timestamptz NOT NULL,
	PRIMARY KEY (collection, name)
);
CREATE UNIQUE INDEX changes_seq ON changes (collection, seq);

-- Sharing. Links and grants name their collection by (owner, name);
-- ON UPDATE CASCADE carries MoveCollection's rename to them, ON DELETE
-- CASCADE removes them with the collection.
CREATE TABLE links (
	id              text COLLATE "C" PRIMARY KEY,
	owner           text COLLATE "C" NOT NULL,
	collection      text COLLATE "C" NOT NULL,
	label           text COLLATE "C" NOT NULL DEFAULT '',
	tier            text COLLATE "C" NOT NULL,
	components      text[] NOT NULL DEFAULT '{}',
	past_days       integer,
	future_days     integer,
	expires         timestamptz,
	expires_ns      smallint NOT NULL DEFAULT 0,
	created         timestamptz NOT NULL,
	updated         timestamptz NOT NULL,
	version         bigint NOT NULL DEFAULT 1,
	fetches         bigint NOT NULL DEFAULT 0,
	last_fetched    timestamptz,
	last_fetched_ns smallint NOT NULL DEFAULT 0,
	last_user_agent text COLLATE "C" NOT NULL DEFAULT '',
	FOREIGN KEY (owner, collection) REFERENCES collections (owner, name) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX links_owner ON links (owner, created, id);

-- A grant's mount shares the sharee's home with the sharee's own
-- collection names; writers of a home lock the account row (SELECT ...
-- FOR UPDATE on accounts) before checking both tables.
CREATE TABLE grants (
	owner        text COLLATE "C" NOT NULL,
	collection   text COLLATE "C" NOT NULL,
	sharee       text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	access       text COLLATE "C" NOT NULL,
	show_private boolean NOT NULL DEFAULT false,
	mount        text COLLATE "C" NOT NULL,
	props        jsonb NOT NULL DEFAULT '{}',
	created      timestamptz NOT NULL,
	updated      timestamptz NOT NULL,
	PRIMARY KEY (owner, collection, sharee),
	UNIQUE (sharee, mount),
	FOREIGN KEY (owner, collection) REFERENCES collections (owner, name) ON UPDATE CASCADE ON DELETE CASCADE
);

-- Security
CREATE TABLE app_passwords (
	id          text COLLATE "C" PRIMARY KEY,
	owner       text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name        text COLLATE "C" NOT NULL DEFAULT '',
	hash        text COLLATE "C" NOT NULL,
	scope       text COLLATE "C" NOT NULL,
	created     timestamptz NOT NULL,
	last_used   timestamptz,
	last_used_ns smallint NOT NULL DEFAULT 0,
	last_client text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX app_passwords_owner ON app_passwords (owner, created, id);

CREATE TABLE sessions (
	id         text COLLATE "C" PRIMARY KEY,
	account    text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	csrf       text COLLATE "C" NOT NULL DEFAULT '',
	created    timestamptz NOT NULL,
	expires    timestamptz NOT NULL,
	expires_ns smallint NOT NULL DEFAULT 0,
	two_factor boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE tokens (
	hash    text COLLATE "C" PRIMARY KEY,
	account text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	purpose text COLLATE "C" NOT NULL,
	data    text COLLATE "C" NOT NULL DEFAULT '',
	expires timestamptz NOT NULL,
	expires_ns smallint NOT NULL DEFAULT 0
);
CREATE INDEX tokens_account ON tokens (account, purpose);

-- Mail
CREATE TABLE organizations (
	id      text COLLATE "C" PRIMARY KEY,
	name    text COLLATE "C" NOT NULL,
	created timestamptz NOT NULL,
	created_ns smallint NOT NULL DEFAULT 0
);

CREATE TABLE members (
	org     text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	account text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	role    text COLLATE "C" NOT NULL,
	PRIMARY KEY (org, account)
);
CREATE INDEX members_account ON members (account);

CREATE TABLE mail_services (
	id                  text COLLATE "C" PRIMARY KEY,
	org                 text COLLATE "C" NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
	domain              text COLLATE "C" NOT NULL,
	plan                text COLLATE "C" NOT NULL DEFAULT '',
	alias_domains       text[] NOT NULL DEFAULT '{}',
	created             timestamptz NOT NULL,
	created_ns          smallint NOT NULL DEFAULT 0,
	imap_host           text COLLATE "C" NOT NULL DEFAULT '',
	imap_port           integer NOT NULL DEFAULT 0,
	imap_security       text COLLATE "C" NOT NULL DEFAULT '',
	submission_host     text COLLATE "C" NOT NULL DEFAULT '',
	submission_port     integer NOT NULL DEFAULT 0,
	submission_security text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX mail_services_org ON mail_services (org, domain);

-- Every primary and alias domain, unique store-wide (lower case).
CREATE TABLE mail_domains (
	domain  text COLLATE "C" PRIMARY KEY,
	service text COLLATE "C" NOT NULL REFERENCES mail_services (id) ON DELETE CASCADE
);

CREATE TABLE mailboxes (
	service          text COLLATE "C" NOT NULL REFERENCES mail_services (id) ON DELETE CASCADE,
	local_key        text COLLATE "C" NOT NULL,
	local_part       text COLLATE "C" NOT NULL,
	password_hash    text COLLATE "C" NOT NULL DEFAULT '',
	created          timestamptz NOT NULL,
	created_ns       smallint NOT NULL DEFAULT 0,
	password_changed timestamptz,
	password_changed_ns smallint NOT NULL DEFAULT 0,
	PRIMARY KEY (service, local_key)
);

-- A service's names: every local part (alias false) and alias (alias
-- true), lower case, unique per service, so one insert decides whether a
-- name is free. position keeps aliases in the order added.
CREATE TABLE mail_names (
	service   text COLLATE "C" NOT NULL,
	name      text COLLATE "C" NOT NULL,
	local_key text COLLATE "C" NOT NULL,
	alias     boolean NOT NULL,
	position  bigint GENERATED ALWAYS AS IDENTITY,
	PRIMARY KEY (service, name),
	FOREIGN KEY (service, local_key) REFERENCES mailboxes (service, local_key) ON DELETE CASCADE
);
CREATE INDEX mail_names_mailbox ON mail_names (service, local_key, position);

CREATE TABLE mailbox_links (
	service   text COLLATE "C" NOT NULL,
	local_key text COLLATE "C" NOT NULL,
	account   text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	rights    text[] NOT NULL DEFAULT '{}',
	created   timestamptz NOT NULL,
	PRIMARY KEY (service, local_key, account),
	FOREIGN KEY (service, local_key) REFERENCES mailboxes (service, local_key) ON DELETE CASCADE
);
CREATE INDEX mailbox_links_account ON mailbox_links (account, service, local_key);

-- Jobs: the record is the whole truth about an import (storage/jobs.go);
-- its nested sources and folders are one jsonb document, written whole
-- by UpdateImportJob under SELECT ... FOR UPDATE.
CREATE TABLE import_jobs (
	id      text COLLATE "C" PRIMARY KEY,
	owner   text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	state   text COLLATE "C" NOT NULL,
	created timestamptz NOT NULL,
	record  jsonb NOT NULL
);
CREATE INDEX import_jobs_owner ON import_jobs (owner, created, id);
CREATE INDEX import_jobs_unfinished ON import_jobs (created, id)
	WHERE state NOT IN ('done', 'partial', 'failed', 'cancelled');

-- Responders: settings as one jsonb document (storage.ResponderSettings),
-- keys and flags as columns. At most one active responder per mailbox.
CREATE TABLE responders (
	service   text COLLATE "C" NOT NULL,
	local_key text COLLATE "C" NOT NULL,
	id        text COLLATE "C" NOT NULL,
	active    boolean NOT NULL DEFAULT false,
	handle    text COLLATE "C" NOT NULL,
	template  text COLLATE "C" NOT NULL DEFAULT '',
	settings  jsonb NOT NULL,
	created   timestamptz NOT NULL,
	updated   timestamptz NOT NULL,
	PRIMARY KEY (service, local_key, id),
	FOREIGN KEY (service, local_key) REFERENCES mailboxes (service, local_key) ON DELETE CASCADE
);
CREATE UNIQUE INDEX responders_one_active ON responders (service, local_key) WHERE active;

CREATE TABLE responder_templates (
	service    text COLLATE "C" NOT NULL REFERENCES mail_services (id) ON DELETE CASCADE,
	id         text COLLATE "C" NOT NULL,
	is_default boolean NOT NULL DEFAULT false,
	settings   jsonb NOT NULL,
	created    timestamptz NOT NULL,
	updated    timestamptz NOT NULL,
	PRIMARY KEY (service, id)
);
CREATE UNIQUE INDEX responder_templates_one_default ON responder_templates (service) WHERE is_default;

CREATE TABLE sending_addresses (
	account      text COLLATE "C" NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	address      text COLLATE "C" NOT NULL,
	code_hash    text COLLATE "C" NOT NULL DEFAULT '',
	code_expires timestamptz,
	code_expires_ns smallint NOT NULL DEFAULT 0,
	verified     timestamptz,
	verified_ns  smallint NOT NULL DEFAULT 0,
	created      timestamptz NOT NULL,
	PRIMARY KEY (account, address)
);
