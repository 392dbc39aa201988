-- Issue 12, points 7 to 11: the casework-side rules of the seeds.

-- The Systemic Log is kept at Review as well as at Resolution (seeds 001, 002): each entry
-- says whose log it is, and what the manager recorded as done about it, by whom and when.
ALTER TABLE systemic_issues
    ADD COLUMN tier smallint NOT NULL DEFAULT 1,
    ADD COLUMN action_recorded_by text,
    ADD COLUMN action_recorded_at timestamptz;
ALTER TABLE systemic_issues ALTER COLUMN tier DROP DEFAULT;

-- Tiers 1 and 2: the customer was invited to send more evidence before a special payment is
-- decided (seed 001), and the wait has not ended (their reply or a drafted plan ends it).
ALTER TABLE cases ADD COLUMN awaiting_evidence boolean NOT NULL DEFAULT false;
