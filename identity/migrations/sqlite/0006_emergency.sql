-- Emergency Access: emergency access codes, the sessions they open, and the self-service wizard.
-- Times are unix milliseconds (UTC).

-- An emergency access code (EC-2..EC-9). Only its keyed hash is kept (EC-3), bound to the
-- account. Uses are counted by one conditional UPDATE (EC-4). An account has at most one code
-- that is not revoked (EC-9): issuing a new one revokes the old in the same transaction.
CREATE TABLE emergency_codes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    code_hash     BLOB    NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    issuer        TEXT    NOT NULL CHECK (issuer IN ('self_service', 'operator')),
    -- The operator who issued it (NULL for self-service).
    issued_by     INTEGER REFERENCES accounts (id),
    reason        TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 64),
    reason_text   TEXT    CHECK (length(reason_text) <= 800),
    -- How an operator verified the person's identity (RB-4).
    verification  TEXT    CHECK (length(verification) <= 800),
    created_at    INTEGER NOT NULL,
    -- Not usable before this (an optional waiting period for self-service codes).
    valid_from    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    uses          INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    max_uses      INTEGER NOT NULL CHECK (max_uses BETWEEN 1 AND 10),
    revoked_at    INTEGER,
    revoked_why   TEXT    CHECK (length(revoked_why) <= 64),
    -- SHA-256 of the "this was not me" link's token, sent in the notices.
    cancel_hash   BLOB    UNIQUE CHECK (length(cancel_hash) = 32),
    CHECK (uses <= max_uses),
    CHECK ((issuer = 'operator') = (issued_by IS NOT NULL)),
    CHECK ((revoked_at IS NULL) = (revoked_why IS NULL))
) STRICT;

CREATE UNIQUE INDEX emergency_codes_one_live ON emergency_codes (account_id)
    WHERE revoked_at IS NULL;
CREATE INDEX emergency_codes_by_account ON emergency_codes (account_id, created_at);
CREATE INDEX emergency_codes_by_time ON emergency_codes (created_at);

-- The code behind each restricted (emergency) session: the session lives only while its code is
-- unexpired and not revoked (EC-11). Goes with its session.
CREATE TABLE emergency_sessions (
    session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    code_id    INTEGER NOT NULL REFERENCES emergency_codes (id)
) STRICT;

CREATE INDEX emergency_sessions_by_code ON emergency_sessions (code_id);

-- The self-service wizard (one row per browser that passed step 1), identified by the SHA-256 of
-- its cookie's token. Step 2's code is kept as its keyed hash; the issued code is kept sealed
-- only until the page has shown it once.
CREATE TABLE emergency_wizards (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash       BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id       INTEGER NOT NULL REFERENCES accounts (id),
    step             TEXT    NOT NULL CHECK (step IN ('prove', 'reason', 'done', 'shown')),
    proof_hash       BLOB    CHECK (length(proof_hash) = 32),
    proof_expires_at INTEGER,
    reason           TEXT    CHECK (length(reason) <= 64),
    code_id          INTEGER REFERENCES emergency_codes (id),
    code_sealed      BLOB,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX emergency_wizards_by_expiry ON emergency_wizards (expires_at);
