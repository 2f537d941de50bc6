-- Indexes for the queries that scanned whole tables (found by counting every query's cost for
-- docs/capacity.md):
-- the session purge (`expires_at <= now OR last_seen_at < idle bound`, every 10 minutes on every
-- instance) had an index for its first half only;
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
-- the outbox purge (sent or failed messages older than 30 days) read the whole outbox;
CREATE INDEX outbox_by_created ON outbox (created_at);
-- the console overview counts each action per day over 7 days: by action, then time.
CREATE INDEX audit_events_by_action ON audit_events (action, at);
