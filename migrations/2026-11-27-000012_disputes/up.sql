-- Disputes (process.md §1 and §6): a disagreement with an appealable decision is refused as a
-- complaint (rule 1) and opened as a dispute. A dispute is kept in `cases` as a record of its
-- own kind, with its own reference (DSP-), so that its action-plan letters (CMSL5811, CMSL5812),
-- its timeline and its clocks are kept exactly as a case's are. It has no tier (stored as 0),
-- and the complaint process (casework, reports, routing) never reads it.
ALTER TABLE cases
    ADD COLUMN kind text NOT NULL DEFAULT 'complaint',
    ADD CONSTRAINT cases_kind_check CHECK (kind IN ('complaint', 'dispute')),
    ADD CONSTRAINT cases_dispute_has_no_tier CHECK (kind = 'complaint' OR tier = 0);
