-- The process engine (process.md §4): what the case state machine keeps beyond stage, status,
-- sub-status and resolution code.
ALTER TABLE cases
    -- Tiers 1 and 2: upheld, part_upheld, not_upheld, justified.
    ADD COLUMN outcome text,
    -- Where the customer was pointed with the outcome: review or ice.
    ADD COLUMN signposted_to text,
    -- The caseworker or case manager (an opaque staff id).
    ADD COLUMN allocated_to text,
    -- The resolution plan: grounds, typed actions with due dates and payments, approval.
    ADD COLUMN resolution_plan jsonb,
    -- Tier 0: the team leader's referral to tier 1.
    ADD COLUMN referral text,
    -- Staff-behaviour complaints: assurance that the HR guidance was followed.
    ADD COLUMN hr_guidance_followed boolean,
    -- The latest stage recorded at ICE and at the PHSO.
    ADD COLUMN ice_stage text,
    ADD COLUMN phso_stage text,
    -- Their findings, once their final report says whether they upheld the complaint.
    ADD COLUMN ice_upheld boolean,
    ADD COLUMN phso_upheld boolean,
    -- Remedial actions asked of other teams: {"id": done}.
    ADD COLUMN remedial_actions jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The root cause recorded at closure.
    ADD COLUMN root_cause text,
    -- When the case was last changed by a decision.
    ADD COLUMN updated_at timestamptz;

-- The Systemic Log (process.md §4, tier 1 step 8), kept by the CRT manager: the third
-- complaint in a row on the same category within a month.
CREATE TABLE systemic_issues (
    id           bigserial PRIMARY KEY,
    category     text NOT NULL,
    case_ids     uuid[] NOT NULL,
    recorded_at  timestamptz NOT NULL,
    -- What was done about it, and the improvement made (filled in by the manager).
    action_taken text
);
-- A case is the third of at most one entry per category.
CREATE UNIQUE INDEX systemic_issues_latest_idx ON systemic_issues (category, (case_ids[3]));
