-- The operational console (issue 6): searching accounts, and handing an operator-issued
-- emergency code over to the operator's screen once.

-- The display name in the canonical form sign-in uses for usernames (NFKC, case folded, NFKC),
-- so a case-insensitive search is a plain comparison. Written by the store with every account;
-- rows older than this migration are filled in by `Store::migrate` right after it runs.
ALTER TABLE accounts ADD COLUMN search_name TEXT;

-- Prefix search is a range scan in byte order (COLLATE "C"), whatever the database's locale;
-- "contains" search reads every row, which the timing in the README covers.
CREATE INDEX accounts_username_c ON accounts (username COLLATE "C");
CREATE INDEX accounts_by_search_name ON accounts (search_name COLLATE "C");
-- Addresses keep the case of their local part: searched lower-cased.
CREATE INDEX contacts_by_lower_value ON contacts ((lower(value) COLLATE "C"));

-- An operator-issued code waiting to be shown once on the issuing operator's screen (EC-7):
-- sealed with the server key, bound to the operator's session, deleted when shown or when the
-- session ends.
CREATE TABLE console_handover (
    session_id  BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    code_id     BIGINT NOT NULL REFERENCES emergency_codes (id),
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    code_sealed BYTEA  NOT NULL,
    created_at  BIGINT NOT NULL
);
