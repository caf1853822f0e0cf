-- Every login writes a session row and nothing deleted one, expired or logged out: the
-- table grew with every login for ever. The session-retention job deletes rows a day past
-- their expiry, a chunk at a time in expiry order, which this index makes a range.
ALTER TABLE sessions ADD INDEX IF NOT EXISTS sessions_expiry (expires_at);
