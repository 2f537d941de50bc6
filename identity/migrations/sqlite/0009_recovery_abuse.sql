-- Issue 13: recovery that an attacker cannot turn against the owner.

-- A pending authenticator app is bound to the session (or, for an account's first token, the
-- sign-in attempt) that started it: its seed is shown only there. Row ids, not foreign keys:
-- sessions and attempts are deleted when they end, and the binding then simply matches nothing.
ALTER TABLE tokens ADD COLUMN enrol_session INTEGER;
ALTER TABLE tokens ADD COLUMN enrol_attempt INTEGER;

-- "This was not me" undoes everything added since the code was issued (tokens and contacts by
-- their created_at), restores the recovery address the account had then, and the link works once.
ALTER TABLE emergency_codes ADD COLUMN recovery_before INTEGER;
ALTER TABLE emergency_codes ADD COLUMN cancelled_at INTEGER;
