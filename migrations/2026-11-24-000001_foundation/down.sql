DROP TABLE outbox;
DROP TABLE inbox;
DROP TABLE rejected_complaints;
DROP TRIGGER case_timeline_append_only ON case_timeline;
DROP FUNCTION refuse_timeline_rewrite();
DROP TABLE case_timeline;
DROP TABLE cases;
DROP SEQUENCE case_number_seq;
DROP TABLE parties;
