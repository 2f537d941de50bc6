-- Issue 16 item 5: states and columns that nothing set or read any more.
-- * Account state 'disabled': no code path ever set it (an operator locks an account instead).
-- * Session scope 'operator': the operator is an account's role checked on every request, never
--   a session scope; no code path ever wrote it.
-- * tokens.failure_count: written as 0 on every success and never counted up or read; failures
--   are counted per factor in the throttle table (RL-1), which is what decides.
--
-- SQLite cannot narrow a CHECK constraint without rebuilding the table (accounts is referenced by
-- every other table): the old constraints stay, wider than the code, and these rows are mapped
-- so that none holds a value the code does not know.
UPDATE accounts SET state = 'locked' WHERE state = 'disabled';
DELETE FROM sessions WHERE scope = 'operator';
ALTER TABLE tokens DROP COLUMN failure_count;
