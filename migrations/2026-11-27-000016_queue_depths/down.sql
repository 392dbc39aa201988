DROP INDEX outbox_sent_at;
DROP INDEX timers_fired_at;
DROP TABLE queue_depths;
