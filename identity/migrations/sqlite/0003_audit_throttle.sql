-- The audit log (AU-1) and the rate-limit counters (RL-1..RL-7).
-- Times are unix milliseconds (UTC).

-- Append-only: the triggers below refuse UPDATE and DELETE, so a row once written stays as
-- written. Actor and subject are plain ids, not foreign keys: events about unknown usernames
-- have no account, and the log outlives what it describes. Details are a JSON object as text
-- (compact JSON escapes every control character, so no row spans two lines: AU-3).
CREATE TABLE audit_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    at                 INTEGER NOT NULL,
    actor_account_id   INTEGER,
    subject_account_id INTEGER,
    action             TEXT    NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    outcome            TEXT    NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    ip                 TEXT    CHECK (length(ip) <= 64),
    user_agent         TEXT    CHECK (length(user_agent) <= 512),
    details            TEXT    NOT NULL DEFAULT '{}' CHECK (length(details) <= 4096)
) STRICT;

CREATE INDEX audit_events_by_subject ON audit_events (subject_account_id, at);
CREATE INDEX audit_events_by_actor ON audit_events (actor_account_id, at);
CREATE INDEX audit_events_by_time ON audit_events (at);

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

-- One counter per key ('acct:12:totp', 'ip:203.0.113.9:signin', 'acct:12:sends'), shared by
-- every server instance. `failures` counts consecutive failures (account and factor) or the
-- events of the current window (addresses, sends); `blocked_until` is when the key opens
-- again, if it is delayed. Changed only by single upsert statements (RL-6).
CREATE TABLE throttle (
    key             TEXT    PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
    failures        INTEGER NOT NULL CHECK (failures >= 0),
    window_start    INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL,
    blocked_until   INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX throttle_by_window_start ON throttle (window_start);
