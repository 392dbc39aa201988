-- The intake-side routes of the seeds (process.md §1 to §3).
--
-- Official correspondence (seed 001): POS, MP-to-DG and Treat Official letters are answered,
-- not complained about. Each is kept in `cases` as a record of its own kind (COR-), handled
-- by the Complaint Resolution Team at tier 1 (the team that answers it), with its own target
-- and no escalation route.
ALTER TABLE cases
    DROP CONSTRAINT cases_kind_check,
    ADD CONSTRAINT cases_kind_check CHECK (kind IN ('complaint', 'dispute', 'correspondence')),
    DROP CONSTRAINT cases_dispute_has_no_tier,
    ADD CONSTRAINT cases_dispute_has_no_tier CHECK (kind <> 'dispute' OR tier = 0),
    ADD COLUMN correspondence text
        CHECK (correspondence IN ('pos', 'mp_to_dg', 'treat_official')),
    ADD CONSTRAINT cases_correspondence_kind CHECK ((kind = 'correspondence') = (correspondence IS NOT NULL)),
    -- A complaint about the department and a contracted provider (seed 003): the provider
    -- asked for a contribution to the reply.
    ADD COLUMN provider text;

-- Compliments, suggestions and enquiries (seed 000, process.md §1): recorded, credited to a
-- team, counted; no case, no clocks.
CREATE TABLE feedback (
    id uuid PRIMARY KEY,
    event_id uuid NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('compliment', 'suggestion', 'enquiry')),
    received_at timestamptz NOT NULL,
    channel text NOT NULL,
    team text NOT NULL,
    staff_reference text,
    customer_reference text,
    categories text[] NOT NULL DEFAULT '{}',
    summary text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX feedback_received_at ON feedback (received_at);

-- The look-up of a customer's own recent cases by category (process.md §3, rules 5 to 7).
CREATE INDEX cases_party_received ON cases (party_id, received_at);
