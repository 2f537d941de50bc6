-- Sign-in codes sent by SMS or e-mail, and the outbox of messages to send.
-- Times are unix milliseconds (UTC) in BIGINT.

-- One live code per sign-in attempt (OOB-5, OOB-6: a resend replaces the row's code). Only the
-- code's keyed hash is stored (OOB-7). The row goes with its attempt.
CREATE TABLE oob_challenges (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    attempt_id BIGINT NOT NULL REFERENCES login_attempts (id) ON DELETE CASCADE,
    token_id   BIGINT NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    -- HMAC-SHA-256 of the code, bound to the attempt and the token.
    code_hash  BYTEA  NOT NULL CHECK (octet_length(code_hash) = 32),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    CONSTRAINT oob_challenges_one_per_attempt UNIQUE (attempt_id)
);

CREATE INDEX oob_challenges_by_token ON oob_challenges (token_id);

-- Messages to send, written in the same transaction as the change they report; a worker claims
-- due ones (leasing them until locked_until), then marks them sent or failed.
CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    channel         TEXT   NOT NULL CHECK (channel IN ('email', 'sms')),
    -- A canonical e-mail address or E.164 number.
    recipient       TEXT   NOT NULL,
    subject         TEXT,
    body            TEXT   NOT NULL,
    state           TEXT   NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT,
    last_error      TEXT,
    -- Set for a message that carries a code: not delivered after this, and its body is erased
    -- once it is sent, failed or expired.
    expires_at      BIGINT,
    -- E-mails have a subject, SMS have none.
    CHECK ((channel = 'email') = (subject IS NOT NULL)),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
);

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
