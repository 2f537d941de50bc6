-- Issue 16 item 5: states and columns that nothing set or read any more.
-- * Account state 'disabled': no code path ever set it (an operator locks an account instead).
-- * Session scope 'operator': the operator is an account's role checked on every request, never
--   a session scope; no code path ever wrote it.
-- * tokens.failure_count: written as 0 on every success and never counted up or read; failures
--   are counted per factor in the throttle table (RL-1), which is what decides.
UPDATE accounts SET state = 'locked' WHERE state = 'disabled';
ALTER TABLE accounts DROP CONSTRAINT accounts_state_check;
ALTER TABLE accounts ADD CONSTRAINT accounts_state_check CHECK (state IN ('active', 'locked'));

DELETE FROM sessions WHERE scope = 'operator';
ALTER TABLE sessions DROP CONSTRAINT sessions_scope_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_scope_check CHECK (scope IN ('full', 'emergency'));

ALTER TABLE tokens DROP COLUMN failure_count;
