-- Sign-in codes sent by SMS or e-mail, and the outbox of messages to send.
-- Times are unix milliseconds (UTC).

-- One live code per sign-in attempt (OOB-5, OOB-6: a resend replaces the row's code). Only the
-- code's keyed hash is stored (OOB-7). The row goes with its attempt.
CREATE TABLE oob_challenges (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id INTEGER NOT NULL UNIQUE REFERENCES login_attempts (id) ON DELETE CASCADE,
    token_id   INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    -- HMAC-SHA-256 of the code, bound to the attempt and the token.
    code_hash  BLOB    NOT NULL CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT;

CREATE INDEX oob_challenges_by_token ON oob_challenges (token_id);

-- Messages to send, written in the same transaction as the change they report; a worker claims
-- due ones (leasing them until locked_until), then marks them sent or failed.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT    NOT NULL CHECK (channel IN ('email', 'sms')),
    -- A canonical e-mail address or E.164 number.
    recipient       TEXT    NOT NULL,
    subject         TEXT,
    body            TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT,
    -- Set for a message that carries a code: not delivered after this, and its body is erased
    -- once it is sent, failed or expired.
    expires_at      INTEGER,
    -- E-mails have a subject, SMS have none.
    CHECK ((channel = 'email') = (subject IS NOT NULL)),
    CHECK ((state = 'sent') = (sent_at IS NOT NULL))
) STRICT;

CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
