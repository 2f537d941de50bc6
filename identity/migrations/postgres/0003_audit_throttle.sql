-- The audit log (AU-1) and the rate-limit counters (RL-1..RL-7).
-- Times are unix milliseconds (UTC) in BIGINT.

-- Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE, so a row once written
-- stays as written. Actor and subject are plain ids, not foreign keys: events about unknown
-- usernames have no account, and the log outlives what it describes. Details are a JSON object
-- as text (compact JSON escapes every control character, so no row spans two lines: AU-3).
CREATE TABLE audit_events (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                 BIGINT NOT NULL,
    actor_account_id   BIGINT,
    subject_account_id BIGINT,
    action             TEXT   NOT NULL CHECK (char_length(action) BETWEEN 1 AND 64),
    outcome            TEXT   NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    ip                 TEXT   CHECK (char_length(ip) <= 64),
    user_agent         TEXT   CHECK (char_length(user_agent) <= 512),
    details            TEXT   NOT NULL DEFAULT '{}' CHECK (char_length(details) <= 4096)
);

CREATE INDEX audit_events_by_subject ON audit_events (subject_account_id, at);
CREATE INDEX audit_events_by_actor ON audit_events (actor_account_id, at);
CREATE INDEX audit_events_by_time ON audit_events (at);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- One counter per key ('acct:12:totp', 'ip:203.0.113.9:signin', 'acct:12:sends'), shared by
-- every server instance. `failures` counts consecutive failures (account and factor) or the
-- events of the current window (addresses, sends); `blocked_until` is when the key opens
-- again, if it is delayed. Changed only by single upsert statements (RL-6).
CREATE TABLE throttle (
    key             TEXT   PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 200),
    failures        BIGINT NOT NULL CHECK (failures >= 0),
    window_start    BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    blocked_until   BIGINT
);

CREATE INDEX throttle_by_window_start ON throttle (window_start);
