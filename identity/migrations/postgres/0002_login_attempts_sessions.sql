-- Sign-in attempts ("password right, second factor pending") and sessions.
-- Only the SHA-256 of a cookie's token is stored (SE-1): a copy of the database opens nothing.
-- An attempt is not a session (SE-8): separate tables, so one can never be taken for the other.
-- Times are unix milliseconds (UTC) in BIGINT.

CREATE TABLE login_attempts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash BYTEA  NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CONSTRAINT login_attempts_token_unique UNIQUE (token_hash)
);

CREATE INDEX login_attempts_by_account ON login_attempts (account_id);
CREATE INDEX login_attempts_by_expiry ON login_attempts (expires_at);

CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA  NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    scope        TEXT   NOT NULL CHECK (scope IN ('full', 'emergency', 'operator')),
    created_at   BIGINT NOT NULL,
    -- The last recorded request; the idle timeout (SE-4) runs from it.
    last_seen_at BIGINT NOT NULL,
    -- The absolute end (created_at + 12 h, SE-4).
    expires_at   BIGINT NOT NULL,
    ip           TEXT   CHECK (char_length(ip) <= 64),
    user_agent   TEXT   CHECK (char_length(user_agent) <= 512),
    CONSTRAINT sessions_token_unique UNIQUE (token_hash)
);

CREATE INDEX sessions_by_account ON sessions (account_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
