-- Issue 18 (first part): the applications that sign their users in through MAYI ID (OpenID
-- Connect clients) and the keys that sign their ID tokens.
--
-- A client's redirect URIs are kept as registered (JSON array of strings; matched exactly). A
-- confidential client keeps only the keyed hash of its secret; a public one has none.
CREATE TABLE oidc_clients (
    id            TEXT    PRIMARY KEY CHECK (length(id) = 20),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 320),
    redirect_uris TEXT    NOT NULL,
    secret_hash   BLOB    CHECK (secret_hash IS NULL OR length(secret_hash) = 32),
    public        INTEGER NOT NULL CHECK (public IN (0, 1)),
    first_party   INTEGER NOT NULL CHECK (first_party IN (0, 1)),
    created_at    INTEGER NOT NULL,
    disabled_at   INTEGER,
    CHECK ((public = 1) = (secret_hash IS NULL))
) STRICT;

-- ID-token signing keys: the private key (PKCS#8) sealed with the seed key, bound to its id.
-- The newest key not retired signs; retired keys stay published while tokens they signed live.
CREATE TABLE oidc_signing_keys (
    kid         TEXT    PRIMARY KEY,
    alg         TEXT    NOT NULL CHECK (alg IN ('ES256')),
    sealed      BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
) STRICT;

-- At most one current key: two instances making the first key at once store one.
CREATE UNIQUE INDEX oidc_one_current_key ON oidc_signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;

-- Authorization codes: only the SHA-256 of the code, bound to its client, redirect URI, the
-- session that approved it and its account; used once (used_at) and only before expires_at.
CREATE TABLE oidc_codes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash      BLOB    NOT NULL UNIQUE CHECK (length(code_hash) = 32),
    client_id      TEXT    NOT NULL REFERENCES oidc_clients (id),
    account_id     INTEGER NOT NULL REFERENCES accounts (id),
    session_id     INTEGER NOT NULL,
    redirect_uri   TEXT    NOT NULL,
    scope          TEXT    NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    used_at        INTEGER
) STRICT;

CREATE INDEX oidc_codes_by_expiry ON oidc_codes (expires_at);

-- Access tokens (for the userinfo endpoint): only their SHA-256, revoked with the code that
-- gave them when that code is presented again, and when their session or account ends.
CREATE TABLE oidc_access_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    code_id     INTEGER NOT NULL REFERENCES oidc_codes (id),
    client_id   TEXT    NOT NULL REFERENCES oidc_clients (id),
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    session_id  INTEGER NOT NULL,
    scope       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT;

CREATE INDEX oidc_access_tokens_by_code ON oidc_access_tokens (code_id);
