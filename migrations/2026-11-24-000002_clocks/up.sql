-- Durable clocks (process.md §5). A timer is set in the same transaction as the state change
-- that starts it and cancelled in the same transaction as the event that meets it; schedulers
-- claim due ones with FOR UPDATE SKIP LOCKED and turn each into a `timer.fired` event.
CREATE TABLE timers (
    id                bigserial PRIMARY KEY,
    case_id           uuid NOT NULL REFERENCES cases (id),
    clock             text NOT NULL,
    -- Distinguishes clocks of one kind on one case (e.g. one per resolution action).
    key               text NOT NULL DEFAULT '',
    -- When the scheduler fires it: the deadline, or earlier when the action it triggers
    -- (sending a letter) must be done by the deadline.
    due_at            timestamptz NOT NULL,
    deadline          timestamptz NOT NULL,
    detail            jsonb NOT NULL DEFAULT '{}'::jsonb,
    state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'fired', 'cancelled')),
    set_at            timestamptz NOT NULL,
    fired_at          timestamptz,
    cancelled_at      timestamptz,
    cancelled_because text
);
-- The scheduler reads only the earliest pending timers: this index, never a scan.
CREATE INDEX timers_pending_due_idx ON timers (due_at) WHERE state = 'pending';
-- Setting a clock that is already running changes nothing.
CREATE UNIQUE INDEX timers_one_pending_idx ON timers (case_id, clock, key) WHERE state = 'pending';
CREATE INDEX timers_case_idx ON timers (case_id);

-- The simulated clock's offset from real time, shared by every process (clock.simulated only).
CREATE TABLE simulated_clock (
    id        boolean PRIMARY KEY DEFAULT true CHECK (id),
    offset_ms bigint NOT NULL
);
INSERT INTO simulated_clock (offset_ms) VALUES (0);

-- A response target that ran out before the case met it.
ALTER TABLE cases ADD COLUMN target_breached_at timestamptz;
