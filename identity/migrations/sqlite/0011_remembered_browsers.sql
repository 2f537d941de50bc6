-- Issue 13 item 5 ("waiting period by trust"): browsers that completed a full sign-in
-- (password and second factor) are remembered for their account by a long-lived cookie. Only
-- the SHA-256 of the cookie's random token is kept. A self-service emergency code asked for
-- from a remembered browser of the account is valid at once; from any other browser it waits.
CREATE TABLE remembered_browsers (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    -- The last full sign-in from it.
    last_seen_at INTEGER NOT NULL,
    -- Forgotten after this (180 days after the last full sign-in from it).
    expires_at   INTEGER NOT NULL,
    -- The address and User-Agent of the last full sign-in (the browser's name is read from it).
    ip           TEXT    CHECK (length(ip) <= 64),
    user_agent   TEXT    CHECK (length(user_agent) <= 512)
) STRICT;

CREATE INDEX remembered_browsers_by_account ON remembered_browsers (account_id);
CREATE INDEX remembered_browsers_by_expiry ON remembered_browsers (expires_at);

-- A self-service code asked for from a browser the account does not remember waits longer
-- (MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN); the wizard and the console say why.
ALTER TABLE emergency_codes ADD COLUMN unknown_browser INTEGER NOT NULL DEFAULT 0
    CHECK (unknown_browser IN (0, 1));
