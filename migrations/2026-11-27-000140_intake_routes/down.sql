DROP INDEX cases_party_received;
DROP TABLE feedback;
DELETE FROM cases WHERE kind = 'correspondence';
ALTER TABLE cases
    DROP CONSTRAINT cases_correspondence_kind,
    DROP COLUMN correspondence,
    DROP COLUMN provider,
    DROP CONSTRAINT cases_kind_check,
    ADD CONSTRAINT cases_kind_check CHECK (kind IN ('complaint', 'dispute')),
    DROP CONSTRAINT cases_dispute_has_no_tier,
    ADD CONSTRAINT cases_dispute_has_no_tier CHECK (kind = 'complaint' OR tier = 0);
