-- Issue 18 (second part): what a person allowed an application not run by the organisation to
-- receive (asked once, until they remove it on their account page), and the second factor each
-- session was opened with (an ID token's `amr` names it).
CREATE TABLE oidc_consents (
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    client_id   TEXT    NOT NULL REFERENCES oidc_clients (id),
    scope       TEXT    NOT NULL,
    granted_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, client_id)
) STRICT;

-- `totp`, `hotp`, `sms`, `email`, `webauthn`, `recovery_code` or `emergency_code`; NULL for
-- sessions opened before this column existed (and for a first token's set-up session).
ALTER TABLE sessions ADD COLUMN second_factor TEXT
    CHECK (second_factor IS NULL OR length(second_factor) BETWEEN 1 AND 32);
