-- Self-service enrolment: codes that confirm a new SMS or e-mail token or a new contact, and the
-- password re-entry that makes a session's authentication recent again (RB-1).
-- Times are unix milliseconds (UTC) in BIGINT.

-- When the session's owner last re-entered their password ("Confirm your password to
-- continue"); NULL if never. Adding a token or changing a contact needs this or the sign-in
-- itself to be less than 10 minutes old.
ALTER TABLE sessions ADD COLUMN reauthenticated_at BIGINT;

-- One live confirmation code per pending SMS/e-mail token or unconfirmed contact (a resend
-- replaces the code, never the failure count: OOB-6). Only the code's keyed hash is stored
-- (OOB-7). The row goes with the token or contact it confirms.
CREATE TABLE confirmation_codes (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    token_id   BIGINT REFERENCES tokens (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    -- HMAC-SHA-256 of the code, bound to the account and what it confirms.
    code_hash  BYTEA  NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    -- Wrong codes entered for this row; at the limit the row accepts nothing more.
    failures   BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0),
    CONSTRAINT confirmation_codes_one_per_token UNIQUE (token_id),
    CONSTRAINT confirmation_codes_one_per_contact UNIQUE (contact_id),
    -- Exactly one of the two.
    CHECK ((token_id IS NULL) <> (contact_id IS NULL))
);

CREATE INDEX confirmation_codes_by_account ON confirmation_codes (account_id);
