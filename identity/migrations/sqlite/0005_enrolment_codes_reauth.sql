-- Self-service enrolment: codes that confirm a new SMS or e-mail token or a new contact, and the
-- password re-entry that makes a session's authentication recent again (RB-1).
-- Times are unix milliseconds (UTC).

-- When the session's owner last re-entered their password ("Confirm your password to
-- continue"); NULL if never. Adding a token or changing a contact needs this or the sign-in
-- itself to be less than 10 minutes old.
ALTER TABLE sessions ADD COLUMN reauthenticated_at INTEGER;

-- One live confirmation code per pending SMS/e-mail token or unconfirmed contact (a resend
-- replaces the code, never the failure count: OOB-6). Only the code's keyed hash is stored
-- (OOB-7). The row goes with the token or contact it confirms.
CREATE TABLE confirmation_codes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    token_id   INTEGER UNIQUE REFERENCES tokens (id) ON DELETE CASCADE,
    contact_id INTEGER UNIQUE REFERENCES contacts (id) ON DELETE CASCADE,
    -- HMAC-SHA-256 of the code, bound to the account and what it confirms.
    code_hash  BLOB    NOT NULL CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    -- Wrong codes entered for this row; at the limit the row accepts nothing more.
    failures   INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- Exactly one of the two.
    CHECK ((token_id IS NULL) <> (contact_id IS NULL))
) STRICT;

CREATE INDEX confirmation_codes_by_account ON confirmation_codes (account_id);
