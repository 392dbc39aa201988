ALTER INDEX case_timeline_cause RENAME TO case_timeline_event_id;
ALTER TABLE case_timeline RENAME COLUMN cause TO event_id;
ALTER TABLE letters RENAME COLUMN cause TO requested_by_event;
ALTER TABLE cases RENAME COLUMN cause TO source_event_id;
