-- Every replay and discard of a dead letter: who, when, what. Append-only, like the timeline.
CREATE TABLE dead_letter_actions (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('replayed', 'discarded')),
    worker TEXT NOT NULL,
    dead_letter_id TEXT NOT NULL,
    event_type TEXT,
    reason_kind TEXT NOT NULL
);
CREATE INDEX dead_letter_actions_at ON dead_letter_actions (at);
CREATE INDEX dead_letter_actions_dead_letter_id ON dead_letter_actions (dead_letter_id);

CREATE FUNCTION refuse_dead_letter_action_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'dead_letter_actions is append-only';
END;
$$;
CREATE TRIGGER dead_letter_actions_append_only
    BEFORE UPDATE OR DELETE ON dead_letter_actions
    FOR EACH ROW EXECUTE FUNCTION refuse_dead_letter_action_rewrite();

-- `GET /v1/events/{id}` finds the refusal of an event without reading the whole outbox.
CREATE INDEX outbox_command_rejected_event ON outbox ((payload->'data'->>'event_id'))
    WHERE event_type = 'command.rejected';
CREATE INDEX inbox_event_id ON inbox (event_id);
CREATE INDEX case_timeline_event_id ON case_timeline (event_id) WHERE event_id IS NOT NULL;
