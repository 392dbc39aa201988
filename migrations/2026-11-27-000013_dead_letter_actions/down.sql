DROP TABLE dead_letter_actions;
DROP FUNCTION refuse_dead_letter_action_rewrite();
