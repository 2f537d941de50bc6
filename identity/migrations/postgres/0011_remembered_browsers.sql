-- Issue 13 item 5 ("waiting period by trust"): browsers that completed a full sign-in
-- (password and second factor) are remembered for their account by a long-lived cookie. Only
-- the SHA-256 of the cookie's random token is kept. A self-service emergency code asked for
-- from a remembered browser of the account is valid at once; from any other browser it waits.
CREATE TABLE remembered_browsers (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   BYTEA  NOT NULL CHECK (octet_length(token_hash) = 32),
    account_id   BIGINT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    -- The last full sign-in from it.
    last_seen_at BIGINT NOT NULL,
    -- Forgotten after this (180 days after the last full sign-in from it).
    expires_at   BIGINT NOT NULL,
    -- The address and User-Agent of the last full sign-in (the browser's name is read from it).
    ip           TEXT   CHECK (char_length(ip) <= 64),
    user_agent   TEXT   CHECK (char_length(user_agent) <= 512),
    CONSTRAINT remembered_browsers_token_unique UNIQUE (token_hash)
);

CREATE INDEX remembered_browsers_by_account ON remembered_browsers (account_id);
CREATE INDEX remembered_browsers_by_expiry ON remembered_browsers (expires_at);

-- A self-service code asked for from a browser the account does not remember waits longer
-- (MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN); the wizard and the console say why.
ALTER TABLE emergency_codes ADD COLUMN unknown_browser BOOLEAN NOT NULL DEFAULT FALSE;
