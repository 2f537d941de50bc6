-- Issue 13 item 5 ("Block my lost phone now"): a token can be blocked. A blocked token cannot sign
-- in (every sign-in check requires state 'active'), keeps its seed so that it can be unblocked if
-- the phone turns up, and shows in the list with the time it was blocked.
--
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt inside this migration's
-- transaction (foreign keys stay on). The rows that point at tokens (sign-in and confirmation
-- codes, deleted by the old table's ON DELETE CASCADE when it is dropped) are kept aside and put
-- back; the other tables' foreign keys name `tokens`, which is then the new table.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE keep_oob_challenges AS SELECT * FROM oob_challenges;
CREATE TEMP TABLE keep_confirmation_codes AS
    SELECT * FROM confirmation_codes WHERE token_id IS NOT NULL;

CREATE TABLE tokens_0010 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('totp', 'sms', 'email')),
    label          TEXT    NOT NULL,
    device         TEXT,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'active', 'blocked', 'removed')),
    -- TOTP seed sealed with AES-256-GCM (nonce || ciphertext || tag); never the plain seed.
    secret_enc     BLOB,
    -- Where SMS / e-mail codes go (E.164 number or address).
    target         TEXT,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    last_totp_step INTEGER,
    failure_count  INTEGER NOT NULL DEFAULT 0,
    removed_at     INTEGER,
    removed_by     INTEGER REFERENCES accounts (id),
    enrol_session  INTEGER,
    enrol_attempt  INTEGER,
    -- When it was blocked (state 'blocked'); cleared when unblocked.
    blocked_at     INTEGER,
    CHECK (kind = 'totp' OR secret_enc IS NULL),
    CHECK (kind <> 'totp' OR secret_enc IS NOT NULL OR state = 'removed'),
    CHECK ((kind = 'totp') = (target IS NULL)),
    CHECK ((state = 'blocked') = (blocked_at IS NOT NULL))
) STRICT;

INSERT INTO tokens_0010 (id, account_id, kind, label, device, state, secret_enc, target, created_at,
    last_used_at, last_totp_step, failure_count, removed_at, removed_by, enrol_session,
    enrol_attempt)
SELECT id, account_id, kind, label, device, state, secret_enc, target, created_at,
    last_used_at, last_totp_step, failure_count, removed_at, removed_by, enrol_session,
    enrol_attempt
FROM tokens;

DROP TABLE tokens;
ALTER TABLE tokens_0010 RENAME TO tokens;
CREATE INDEX tokens_by_account ON tokens (account_id);

INSERT INTO oob_challenges SELECT * FROM keep_oob_challenges
    WHERE id NOT IN (SELECT id FROM oob_challenges);
INSERT INTO confirmation_codes SELECT * FROM keep_confirmation_codes
    WHERE id NOT IN (SELECT id FROM confirmation_codes);
DROP TABLE keep_oob_challenges;
DROP TABLE keep_confirmation_codes;
