-- Issue 14 item 4: printable one-time recovery codes. An account has at most one set of ten;
-- a new set replaces the old (the old rows go). Only a keyed hash of each code is kept. A code is
-- spent by one conditional UPDATE (used_at), and opens a restricted session like an emergency
-- access code (an internal one-use emergency code is issued for it, which carries the session
-- and the "this was not me" link).
CREATE TABLE recovery_codes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    code_hash   BYTEA  NOT NULL UNIQUE CHECK (octet_length(code_hash) = 32),
    created_at  BIGINT NOT NULL,
    used_at     BIGINT
);

CREATE INDEX recovery_codes_by_account ON recovery_codes (account_id);

-- A new set, sealed until the page that shows it takes it, once (as the wizard keeps its code):
-- bound to the session that made it, and gone with it.
CREATE TABLE recovery_code_reveals (
    session_id  BIGINT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    sealed      BYTEA  NOT NULL,
    created_at  BIGINT NOT NULL
);
