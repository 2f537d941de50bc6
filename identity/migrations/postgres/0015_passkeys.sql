-- Issue 17: passkeys and security keys (WebAuthn). A token of kind 'webauthn' has neither a seed
-- nor a target: its public key credential is in webauthn_credentials (one row per token).
ALTER TABLE tokens DROP CONSTRAINT tokens_kind_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_kind_check
    CHECK (kind IN ('totp', 'sms', 'email', 'webauthn'));
-- The unnamed "(kind = 'totp') = (target IS NULL)" check of 0001 goes by its definition (its
-- generated name depends on the order of the table's checks).
DO $$
DECLARE c record;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'tokens'::regclass AND contype = 'c'
               AND pg_get_constraintdef(oid) LIKE '%target IS NULL%'
    LOOP
        EXECUTE format('ALTER TABLE tokens DROP CONSTRAINT %I', c.conname);
    END LOOP;
END $$;
ALTER TABLE tokens ADD CONSTRAINT tokens_target_check
    CHECK ((kind IN ('sms', 'email')) = (target IS NOT NULL));

-- The credential of a 'webauthn' token: its ID (unique: one authenticator credential is one
-- token), the library's record of it (public key, counter, flags) as JSON, the signature
-- counter in its own column (a sign-in moves it by one conditional UPDATE), the authenticator
-- model (AAGUID, when told) and how the browser reaches it. Kept after the token is removed,
-- as the token row is (history); a removed token never signs in.
CREATE TABLE webauthn_credentials (
    token_id      BIGINT PRIMARY KEY REFERENCES tokens (id) ON DELETE CASCADE,
    credential_id BYTEA  NOT NULL UNIQUE
                  CHECK (octet_length(credential_id) BETWEEN 16 AND 1023),
    record        TEXT   NOT NULL,
    counter       BIGINT NOT NULL CHECK (counter >= 0),
    aaguid        BYTEA  CHECK (aaguid IS NULL OR octet_length(aaguid) = 16),
    transports    TEXT   NOT NULL DEFAULT ''
);

-- The account's WebAuthn user handle: random, never the username; made on its first passkey.
ALTER TABLE accounts ADD COLUMN webauthn_handle BYTEA
    CHECK (webauthn_handle IS NULL OR octet_length(webauthn_handle) = 16);

-- A ceremony begun and not yet answered: the server's state (with its challenge), bound to the
-- session adding a passkey or to the sign-in attempt using one, taken at most once (DELETE …
-- RETURNING) and only before expires_at. Starting another in the same place replaces it.
CREATE TABLE webauthn_ceremonies (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    purpose     TEXT   NOT NULL CHECK (purpose IN ('register', 'authenticate')),
    session_id  BIGINT UNIQUE REFERENCES sessions (id) ON DELETE CASCADE,
    attempt_id  BIGINT UNIQUE REFERENCES login_attempts (id) ON DELETE CASCADE,
    state       TEXT   NOT NULL,
    label       TEXT,
    device      TEXT,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    CHECK ((session_id IS NULL) <> (attempt_id IS NULL)),
    CHECK ((purpose = 'register') = (session_id IS NOT NULL)),
    CHECK ((purpose = 'register') = (label IS NOT NULL))
);

CREATE INDEX webauthn_ceremonies_by_expiry ON webauthn_ceremonies (expires_at);
