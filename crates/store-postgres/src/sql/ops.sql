-- The unread staff notifications in an index of their own, so counting them (every
-- /metrics scrape, every desktop's badge) reads only the unread rows, not the history.
CREATE INDEX staff_notifications_unread ON staff_notifications(user_id) WHERE read_at IS NULL;
