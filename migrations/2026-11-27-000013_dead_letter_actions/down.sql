DROP INDEX inbox_event_id;
DROP INDEX case_timeline_event_id;
DROP INDEX outbox_command_rejected_event;
DROP TABLE dead_letter_actions;
DROP FUNCTION refuse_dead_letter_action_rewrite();
