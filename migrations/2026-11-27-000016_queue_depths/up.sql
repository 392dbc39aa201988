-- Samples of each worker queue's depth, taken by every process that serves HTTP, so the /ops
-- page can show what arrived on a queue (handled plus the change in depth) as well as what was
-- handled. Kept for two hours.
CREATE TABLE queue_depths (
    queue TEXT NOT NULL,
    sampled_at TIMESTAMPTZ NOT NULL,
    messages BIGINT NOT NULL,
    PRIMARY KEY (queue, sampled_at)
);

-- The scheduler's and the outbox relay's signs of life on the same page: their latest work,
-- read through these indexes rather than a scan.
CREATE INDEX timers_fired_at ON timers (fired_at) WHERE fired_at IS NOT NULL;
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
