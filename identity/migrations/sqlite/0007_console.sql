-- The operational console (issue 6): searching accounts, and handing an operator-issued
-- emergency code over to the operator's screen once.

-- The display name in the canonical form sign-in uses for usernames (NFKC, case folded, NFKC),
-- so a case-insensitive search is a plain comparison (SQLite's NOCASE is ASCII-only). Written
-- by the store with every account; rows older than this migration are filled in by
-- `Store::migrate` right after it runs.
ALTER TABLE accounts ADD COLUMN search_name TEXT;

-- Prefix search is a range scan on these (usernames already have their UNIQUE index);
-- "contains" search reads every row, which the timing in the README covers.
CREATE INDEX accounts_by_search_name ON accounts (search_name);
-- Addresses keep the case of their local part: searched lower-cased (ASCII, as SQLite's lower()).
CREATE INDEX contacts_by_lower_value ON contacts (lower(value));

-- An operator-issued code waiting to be shown once on the issuing operator's screen (EC-7):
-- sealed with the server key, bound to the operator's session, deleted when shown or when the
-- session ends.
CREATE TABLE console_handover (
    session_id  INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    code_id     INTEGER NOT NULL REFERENCES emergency_codes (id),
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    code_sealed BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
