DROP TABLE notifications;
DROP INDEX letters_to_dispatch_idx;
UPDATE letters SET status = 'ready_for_post' WHERE status = 'awaiting_print';
ALTER TABLE letters
    DROP CONSTRAINT letters_status_check,
    ADD CONSTRAINT letters_status_check CHECK (status IN ('awaiting_email', 'sent', 'ready_for_post')),
    DROP COLUMN claimed_at,
    DROP COLUMN attempts;
