-- Accounts, their contact channels and their tokens (authenticators).
-- Times are unix milliseconds (UTC) in BIGINT. Values that have a canonical form (usernames,
-- addresses, phone numbers) are stored only in that form, so plain equality and UNIQUE are
-- correct.

CREATE TABLE accounts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL,
    display_name  TEXT   NOT NULL DEFAULT '',
    password_hash TEXT   NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'active'
                  CHECK (state IN ('active', 'locked', 'disabled')),
    role          TEXT   NOT NULL DEFAULT 'user'
                  CHECK (role IN ('user', 'operator', 'admin')),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT accounts_username_unique UNIQUE (username)
);

CREATE TABLE contacts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT  NOT NULL REFERENCES accounts (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('email', 'phone')),
    value       TEXT    NOT NULL,
    confirmed   BOOLEAN NOT NULL DEFAULT FALSE,
    is_recovery BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT  NOT NULL,
    CONSTRAINT contacts_value_unique UNIQUE (account_id, kind, value)
);

-- At most one recovery address per account.
CREATE UNIQUE INDEX contacts_one_recovery ON contacts (account_id, is_recovery)
    WHERE is_recovery;
CREATE INDEX contacts_by_value ON contacts (kind, value);

CREATE TABLE tokens (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    kind           TEXT   NOT NULL CHECK (kind IN ('totp', 'sms', 'email')),
    label          TEXT   NOT NULL,
    device         TEXT,
    state          TEXT   NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'active', 'removed')),
    -- TOTP seed sealed with AES-256-GCM (nonce || ciphertext || tag); never the plain seed.
    secret_enc     BYTEA,
    -- Where SMS / e-mail codes go (E.164 number or address).
    target         TEXT,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    last_totp_step BIGINT,
    failure_count  BIGINT NOT NULL DEFAULT 0,
    removed_at     BIGINT,
    removed_by     BIGINT REFERENCES accounts (id),
    -- Only TOTP tokens have a seed, and a live one always has it (removal may wipe it).
    CHECK (kind = 'totp' OR secret_enc IS NULL),
    CHECK (kind <> 'totp' OR secret_enc IS NOT NULL OR state = 'removed'),
    -- Only SMS and e-mail tokens have a target, and they always have one.
    CHECK ((kind = 'totp') = (target IS NULL))
);

CREATE INDEX tokens_by_account ON tokens (account_id);
