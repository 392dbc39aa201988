DROP TRIGGER case_timeline_no_truncate ON case_timeline;
