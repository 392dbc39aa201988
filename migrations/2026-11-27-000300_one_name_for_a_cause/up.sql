-- One name for one idea: the event that caused a row is its `cause`, whichever table the row is
-- in (a case: the complaint that opened it; a letter: the event that requested it; a timeline
-- entry: the event it records). `event_id` is left to the rows that are themselves an event
-- (inbox, outbox) or record one whole (feedback, rejected complaints).
ALTER TABLE cases RENAME COLUMN source_event_id TO cause;
ALTER TABLE letters RENAME COLUMN requested_by_event TO cause;
ALTER TABLE case_timeline RENAME COLUMN event_id TO cause;
ALTER INDEX case_timeline_event_id RENAME TO case_timeline_cause;
