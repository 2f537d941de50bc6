-- Issue 13 item 5 ("Block my lost phone now"): a token can be blocked. A blocked token cannot sign
-- in (every sign-in check requires state 'active'), keeps its seed so that it can be unblocked if
-- the phone turns up, and shows in the list with the time it was blocked.
ALTER TABLE tokens DROP CONSTRAINT tokens_state_check;
ALTER TABLE tokens ADD CONSTRAINT tokens_state_check
    CHECK (state IN ('pending', 'active', 'blocked', 'removed'));
-- When it was blocked (state 'blocked'); cleared when unblocked.
ALTER TABLE tokens ADD COLUMN blocked_at BIGINT;
ALTER TABLE tokens ADD CONSTRAINT tokens_blocked_at_check
    CHECK ((state = 'blocked') = (blocked_at IS NOT NULL));
