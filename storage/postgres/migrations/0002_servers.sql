-- Schema version 2: what several servers on the database share beyond
-- the Store.
--
-- Failed checks of secrets (storage.Throttle, throttle.go). A row is a failure
-- (failed) or an attempt being checked (a hold); either counts against
-- its key until expires (unix nanoseconds of the caller's clock: a
-- failure's time plus its rule's window, a hold's reservation plus
-- storage.ThrottleHold). Keys are bytea because the callers' keys hold
-- NUL, which text cannot. Rows are not part of a snapshot or a move:
-- they are gone within a day anyway.
CREATE TABLE throttle_attempts (
	id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	rule    text COLLATE "C" NOT NULL,
	key     bytea NOT NULL,
	failed  boolean NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX throttle_attempts_key ON throttle_attempts (rule, key, expires);
CREATE INDEX throttle_attempts_expires ON throttle_attempts (expires);

-- Short-lived values (storage.Stash, stash.go): an upload previewed
-- through one server and confirmed through another. One per key; tag
-- must match to take it; expires as above. Not in snapshots either.
CREATE TABLE stash (
	key     text COLLATE "C" PRIMARY KEY,
	tag     bytea NOT NULL,
	value   bytea NOT NULL,
	expires bigint NOT NULL
);
CREATE INDEX stash_expires ON stash (expires);
