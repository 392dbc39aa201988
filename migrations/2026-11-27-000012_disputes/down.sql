DELETE FROM cases WHERE kind = 'dispute';
ALTER TABLE cases
    DROP CONSTRAINT cases_dispute_has_no_tier,
    DROP CONSTRAINT cases_kind_check,
    DROP COLUMN kind;
