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

-- A "non complaint consolatory payment referral only" (seed 004): on the tier 0 case, the
-- payment its team leader refers to tier 1; on the Resolution case it opens, the payment that
-- case decides (it is not a complaint: not acknowledged, no response target, not counted).
-- cmsf5551: the referring team leader is below the grade the payment needs, so the approval
-- form goes with it.
ALTER TABLE cases
    ADD COLUMN consolatory_payment_pence bigint CHECK (consolatory_payment_pence > 0),
    ADD COLUMN cmsf5551 boolean NOT NULL DEFAULT false;
