-- The timeline is append-only: TRUNCATE (which fires no row trigger) is refused as well as
-- UPDATE and DELETE.
CREATE TRIGGER case_timeline_no_truncate
    BEFORE TRUNCATE ON case_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_timeline_rewrite();
