-- Irreversible effects (an email sent, a PDF written for the print vendor) happen outside any
-- transaction: a sender claims the row (attempts + 1, claimed_at, committed), acts, then marks
-- it done (committed). A claim older than the lease belongs to a sender that died between the
-- act and the mark: another sender takes it over and repeats the effect, counted.
ALTER TABLE letters
    ADD COLUMN attempts   integer NOT NULL DEFAULT 0,
    ADD COLUMN claimed_at timestamptz,
    DROP CONSTRAINT letters_status_check,
    ADD CONSTRAINT letters_status_check
        CHECK (status IN ('awaiting_email', 'sent', 'awaiting_print', 'ready_for_post'));
CREATE INDEX letters_to_dispatch_idx ON letters (created_at)
    WHERE status IN ('awaiting_email', 'awaiting_print');

-- Team notifications by email (tasks, breaches, high-profile cases), one per event, sent by the
-- same claim / send / mark steps as letters. The id is the causing event's, also in the
-- Message-ID.
CREATE TABLE notifications (
    id         uuid PRIMARY KEY,
    case_id    uuid NOT NULL REFERENCES cases (id),
    recipient  text NOT NULL,
    subject    text NOT NULL,
    body       text NOT NULL,
    status     text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'refused')),
    attempts   integer NOT NULL DEFAULT 0,
    claimed_at timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    sent_at    timestamptz
);
CREATE INDEX notifications_pending_idx ON notifications (created_at) WHERE status = 'pending';
