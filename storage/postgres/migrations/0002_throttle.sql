-- Schema version 2: failed checks of secrets, counted for every server
-- on the database (storage.Throttle, throttle.go). A row is a failure
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
