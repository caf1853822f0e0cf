-- A user's live sessions, newest first (GET /v1/me/sessions) and by id in batches
-- (revoke-others, a password change): the range of one user's not-revoked rows, in the
-- order they are read, whatever number of revoked ones the user has.
ALTER TABLE sessions ADD INDEX IF NOT EXISTS sessions_user_live (user_id, revoked_at, created_at);
