ALTER TABLE cases DROP COLUMN target_breached_at;
DROP TABLE simulated_clock;
DROP TABLE timers;
