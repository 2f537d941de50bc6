-- Issue 17: passkeys and security keys (WebAuthn). A token of kind 'webauthn' has neither a seed
-- nor a target: its public key credential is in webauthn_credentials (one row per token).
--
-- SQLite cannot change a CHECK constraint in place: the tokens table is rebuilt as in 0010,
-- inside this migration's transaction (foreign keys stay on). The rows that point at tokens
-- (sign-in and confirmation codes, deleted by the old table's ON DELETE CASCADE when it is
-- dropped) are kept aside and put back.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE keep_oob_challenges AS SELECT * FROM oob_challenges;
CREATE TEMP TABLE keep_confirmation_codes AS
    SELECT * FROM confirmation_codes WHERE token_id IS NOT NULL;

CREATE TABLE tokens_0015 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('totp', 'sms', 'email', 'webauthn')),
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
    removed_at     INTEGER,
    removed_by     INTEGER REFERENCES accounts (id),
    enrol_session  INTEGER,
    enrol_attempt  INTEGER,
    -- When it was blocked (state 'blocked'); cleared when unblocked.
    blocked_at     INTEGER,
    CHECK (kind = 'totp' OR secret_enc IS NULL),
    CHECK (kind <> 'totp' OR secret_enc IS NOT NULL OR state = 'removed'),
    CHECK ((kind IN ('sms', 'email')) = (target IS NOT NULL)),
    CHECK ((state = 'blocked') = (blocked_at IS NOT NULL))
) STRICT;

INSERT INTO tokens_0015 (id, account_id, kind, label, device, state, secret_enc, target,
    created_at, last_used_at, last_totp_step, removed_at, removed_by, enrol_session,
    enrol_attempt, blocked_at)
SELECT id, account_id, kind, label, device, state, secret_enc, target, created_at,
    last_used_at, last_totp_step, removed_at, removed_by, enrol_session, enrol_attempt,
    blocked_at
FROM tokens;

DROP TABLE tokens;
ALTER TABLE tokens_0015 RENAME TO tokens;
CREATE INDEX tokens_by_account ON tokens (account_id);

INSERT INTO oob_challenges SELECT * FROM keep_oob_challenges
    WHERE id NOT IN (SELECT id FROM oob_challenges);
INSERT INTO confirmation_codes SELECT * FROM keep_confirmation_codes
    WHERE id NOT IN (SELECT id FROM confirmation_codes);
DROP TABLE keep_oob_challenges;
DROP TABLE keep_confirmation_codes;

-- The credential of a 'webauthn' token: its ID (unique: one authenticator credential is one
-- token), the library's record of it (public key, counter, flags) as JSON, the signature
-- counter in its own column (a sign-in moves it by one conditional UPDATE), the authenticator
-- model (AAGUID, when told) and how the browser reaches it. Kept after the token is removed,
-- as the token row is (history); a removed token never signs in.
CREATE TABLE webauthn_credentials (
    token_id      INTEGER PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    credential_id BLOB    NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 16 AND 1023),
    record        TEXT    NOT NULL,
    counter       INTEGER NOT NULL CHECK (counter >= 0),
    aaguid        BLOB    CHECK (aaguid IS NULL OR length(aaguid) = 16),
    transports    TEXT    NOT NULL DEFAULT ''
) STRICT;

-- The account's WebAuthn user handle: random, never the username; made on its first passkey.
ALTER TABLE accounts ADD COLUMN webauthn_handle BLOB CHECK (webauthn_handle IS NULL OR length(webauthn_handle) = 16);

-- A ceremony begun and not yet answered: the server's state (with its challenge), bound to the
-- session adding a passkey or to the sign-in attempt using one, taken at most once (DELETE …
-- RETURNING) and only before expires_at. Starting another in the same place replaces it.
CREATE TABLE webauthn_ceremonies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    purpose     TEXT    NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    session_id  INTEGER UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
    attempt_id  INTEGER UNIQUE REFERENCES login_attempts (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL,
    label       TEXT,
    device      TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    CHECK ((session_id IS NULL) <> (attempt_id IS NULL)),
    CHECK ((purpose = 'register') = (session_id IS NOT NULL)),
    CHECK ((purpose = 'register') = (label IS NOT NULL))
) STRICT;

CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);
