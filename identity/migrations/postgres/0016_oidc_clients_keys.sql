-- Issue 18 (first part): the applications that sign their users in through MAYI ID (OpenID
-- Connect clients) and the keys that sign their ID tokens.
--
-- A client's redirect URIs are kept as registered (JSON array of strings; matched exactly). A
-- confidential client keeps only the keyed hash of its secret; a public one has none.
CREATE TABLE oidc_clients (
    id            TEXT    PRIMARY KEY CHECK (length(id) = 20),
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 320),
    redirect_uris TEXT    NOT NULL,
    secret_hash   BYTEA   CHECK (secret_hash IS NULL OR octet_length(secret_hash) = 32),
    public        BOOLEAN NOT NULL,
    first_party   BOOLEAN NOT NULL,
    created_at    BIGINT  NOT NULL,
    disabled_at   BIGINT,
    CHECK (public = (secret_hash IS NULL))
);

-- ID-token signing keys: the private key (PKCS#8) sealed with the seed key, bound to its id.
-- The newest key not retired signs; retired keys stay published while tokens they signed live.
CREATE TABLE oidc_signing_keys (
    kid         TEXT    PRIMARY KEY,
    alg         TEXT    NOT NULL CHECK (alg IN ('ES256')),
    sealed      BYTEA   NOT NULL,
    created_at  BIGINT  NOT NULL,
    retired_at  BIGINT
);

-- At most one current key: two instances making the first key at once store one.
CREATE UNIQUE INDEX oidc_one_current_key ON oidc_signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;

-- Authorization codes: only the SHA-256 of the code, bound to its client, redirect URI, the
-- session that approved it and its account; used once (used_at) and only before expires_at.
CREATE TABLE oidc_codes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code_hash      BYTEA  NOT NULL UNIQUE CHECK (octet_length(code_hash) = 32),
    client_id      TEXT   NOT NULL REFERENCES oidc_clients (id),
    account_id     BIGINT NOT NULL REFERENCES accounts (id),
    session_id     BIGINT NOT NULL,
    redirect_uri   TEXT   NOT NULL,
    scope          TEXT   NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      BIGINT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

CREATE INDEX oidc_codes_by_expiry ON oidc_codes (expires_at);

-- Access tokens (for the userinfo endpoint): only their SHA-256, revoked with the code that
-- gave them when that code is presented again, and when their session or account ends.
CREATE TABLE oidc_access_tokens (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash  BYTEA  NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    code_id     BIGINT NOT NULL REFERENCES oidc_codes (id),
    client_id   TEXT   NOT NULL REFERENCES oidc_clients (id),
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    session_id  BIGINT NOT NULL,
    scope       TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);

CREATE INDEX oidc_access_tokens_by_code ON oidc_access_tokens (code_id);
