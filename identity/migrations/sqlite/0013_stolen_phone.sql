-- Issue 14 item 3: a restricted emergency session opened for a stolen phone may change the
-- password. The code records when that happened (the recovery checklist's step) and the hash it
-- replaced, so that "this was not me" puts the owner's password back.
ALTER TABLE emergency_codes ADD COLUMN password_changed_at INTEGER;
ALTER TABLE emergency_codes ADD COLUMN password_before TEXT;
