-- Accounts, their contact channels and their tokens (authenticators).
-- Times are unix milliseconds (UTC). Values that have a canonical form (usernames, addresses,
-- phone numbers) are stored only in that form, so plain equality and UNIQUE are correct.
-- STRICT tables: SQLite refuses a value of the wrong type instead of storing it anyway.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'locked', 'disabled')),
    role          TEXT    NOT NULL DEFAULT 'user'
                  CHECK (role IN ('user', 'operator', 'admin')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('email', 'phone')),
    value       TEXT    NOT NULL,
    confirmed   INTEGER NOT NULL DEFAULT 0 CHECK (confirmed IN (0, 1)),
    is_recovery INTEGER NOT NULL DEFAULT 0 CHECK (is_recovery IN (0, 1)),
    created_at  INTEGER NOT NULL,
    UNIQUE (account_id, kind, value)
) STRICT;

-- At most one recovery address per account.
CREATE UNIQUE INDEX contacts_one_recovery ON contacts (account_id, is_recovery)
    WHERE is_recovery = 1;
CREATE INDEX contacts_by_value ON contacts (kind, value);

CREATE TABLE tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('totp', 'sms', 'email')),
    label          TEXT    NOT NULL,
    device         TEXT,
    state          TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'active', 'removed')),
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
    -- Only TOTP tokens have a seed, and a live one always has it (removal may wipe it).
    CHECK (kind = 'totp' OR secret_enc IS NULL),
    CHECK (kind <> 'totp' OR secret_enc IS NOT NULL OR state = 'removed'),
    -- Only SMS and e-mail tokens have a target, and they always have one.
    CHECK ((kind = 'totp') = (target IS NULL))
) STRICT;

CREATE INDEX tokens_by_account ON tokens (account_id);
