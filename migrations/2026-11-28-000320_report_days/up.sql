-- Issue 14.6: a year's report at a million cases a year in under a second. The figures of the
-- cases received on one day (a day in UK time) are kept in `report_days`, written by the
-- report-days worker; the report sums the kept days and reads only the others from `cases`.
--
-- A kept day is only as good as its freshness, so whatever changes a figure of a day's cases
-- says so here, by trigger, not by the code that writes: a new or changed case (its own day,
-- and for a case linked to an earlier one, that case's day: whether it went on to the next
-- tier), and a response target set, met or run out (the day of its case). `report_changes` is
-- only ever inserted into by those triggers (no row is updated, so no writer waits for
-- another) and emptied by the worker, which deletes the rows it read in the same snapshot as
-- it computes the days, so a change committed meanwhile stays for its next round. The report
-- reads a day from `report_days` only while no change of that day waits.

-- The UK day a case was received on: what `report_days` is keyed by.
CREATE FUNCTION report_day(received_at timestamptz) RETURNS date
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (received_at AT TIME ZONE 'Europe/London')::date;

-- The instant a UK day starts: a day's cases are those received from its start to the next's.
CREATE FUNCTION report_day_starts(day date) RETURNS timestamptz
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN day::timestamp AT TIME ZONE 'Europe/London';

CREATE TABLE report_days (
    day date PRIMARY KEY,
    -- The shape `figures` has (`src/db/reports.rs`, TALLIES_VERSION): a day kept in another
    -- is read from `cases` and kept again.
    version smallint NOT NULL,
    -- json, not jsonb: read whole and parsed by the report, kept as written (jsonb's
    -- conversion back to text cost 80 ms for a year's days, json's 8 ms).
    figures json NOT NULL,
    kept_at timestamptz NOT NULL
);

CREATE TABLE report_changes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    day date NOT NULL
);
CREATE INDEX report_changes_day ON report_changes (day);

CREATE FUNCTION report_changes_of_cases() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (day)
    SELECT report_day(n.received_at) FROM changed_cases n
    UNION
    SELECT report_day(earlier.received_at)
    FROM changed_cases n JOIN cases earlier ON earlier.id = n.linked_case_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER cases_inserted_report_changes AFTER INSERT ON cases
    REFERENCING NEW TABLE AS changed_cases
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_cases();
CREATE TRIGGER cases_updated_report_changes AFTER UPDATE ON cases
    REFERENCING NEW TABLE AS changed_cases
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_cases();
CREATE TRIGGER cases_deleted_report_changes AFTER DELETE ON cases
    REFERENCING OLD TABLE AS changed_cases
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_cases();

CREATE FUNCTION report_changes_of_timers() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_changes (day)
    SELECT DISTINCT report_day(c.received_at)
    FROM changed_timers t JOIN cases c ON c.id = t.case_id
    WHERE t.clock = 'response_target';
    RETURN NULL;
END
$$;

CREATE TRIGGER timers_inserted_report_changes AFTER INSERT ON timers
    REFERENCING NEW TABLE AS changed_timers
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_timers();
CREATE TRIGGER timers_updated_report_changes AFTER UPDATE ON timers
    REFERENCING NEW TABLE AS changed_timers
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_timers();
CREATE TRIGGER timers_deleted_report_changes AFTER DELETE ON timers
    REFERENCING OLD TABLE AS changed_timers
    FOR EACH STATEMENT EXECUTE FUNCTION report_changes_of_timers();

-- Every day already received waits to be kept.
INSERT INTO report_changes (day) SELECT DISTINCT report_day(received_at) FROM cases;
