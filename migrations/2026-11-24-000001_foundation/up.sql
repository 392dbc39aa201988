-- The foundation: parties, cases, the case timeline, rejected complaints, the inbox and the
-- outbox. Every worker writes through these in one transaction per batch of messages.

-- Customers (and, later, representatives): one row per customer reference, holding the
-- latest contact details and restrictions an intake event brought.
CREATE TABLE parties (
    id                  uuid PRIMARY KEY,
    reference           text NOT NULL UNIQUE,
    name                text NOT NULL,
    address_lines       text[] NOT NULL,
    postcode            text NOT NULL,
    email               text,
    phone               text,
    region              text NOT NULL,
    contact_restriction text NOT NULL,
    vulnerable          boolean NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL
);

-- Human-readable case numbers (DIS-2026-000001) come from one sequence for all tiers.
CREATE SEQUENCE case_number_seq;

-- One case per tier of a customer's journey; `linked_case_id` points at the case it came from.
CREATE TABLE cases (
    id                    uuid PRIMARY KEY,
    reference             text NOT NULL UNIQUE,
    tier                  smallint NOT NULL CHECK (tier BETWEEN 0 AND 2),
    stage                 text NOT NULL,
    status                text NOT NULL,
    sub_status            text,
    resolution_code       text,
    party_id              uuid NOT NULL REFERENCES parties (id),
    linked_case_id        uuid REFERENCES cases (id),
    handling_team         text NOT NULL,
    received_at           timestamptz NOT NULL,
    channel               text NOT NULL,
    raised_by             text NOT NULL,
    about                 text NOT NULL,
    addressee             text NOT NULL,
    categories            text[] NOT NULL,
    summary               text NOT NULL,
    high_profile          boolean NOT NULL,
    parliamentary_contact boolean NOT NULL,
    pos                   boolean NOT NULL,
    source_event_id       uuid NOT NULL UNIQUE,
    opened_at             timestamptz NOT NULL,
    closed_at             timestamptz,
    CHECK ((closed_at IS NULL) = (resolution_code IS NULL))
);
CREATE INDEX cases_party_idx ON cases (party_id);
CREATE INDEX cases_linked_idx ON cases (linked_case_id) WHERE linked_case_id IS NOT NULL;

-- The auditable footprint of a case: who did what and when. Append-only, enforced below.
CREATE TABLE case_timeline (
    id          bigserial PRIMARY KEY,
    case_id     uuid NOT NULL REFERENCES cases (id),
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    entry       text NOT NULL,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    event_id    uuid
);
CREATE INDEX case_timeline_case_idx ON case_timeline (case_id, id);

CREATE FUNCTION refuse_timeline_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'case_timeline is append-only: % refused', TG_OP;
END;
$$;
CREATE TRIGGER case_timeline_append_only
    BEFORE UPDATE OR DELETE ON case_timeline
    FOR EACH ROW EXECUTE FUNCTION refuse_timeline_rewrite();

-- Complaints refused at intake (appealable decision, out of time): kept whole, so nothing
-- a customer sent is lost even though no case opens.
CREATE TABLE rejected_complaints (
    event_id    uuid PRIMARY KEY,
    reason      text NOT NULL,
    detail      text NOT NULL,
    complaint   jsonb NOT NULL,
    rejected_at timestamptz NOT NULL
);

-- Idempotency: an event id a consumer has already applied is skipped on redelivery.
CREATE TABLE inbox (
    consumer     text NOT NULL,
    event_id     uuid NOT NULL,
    processed_at timestamptz NOT NULL,
    PRIMARY KEY (consumer, event_id)
);

-- Events caused by a state change, written in the same transaction and published by the
-- relay with publisher confirms. `sent_at` is NULL until the broker confirmed the event.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    event_id    uuid NOT NULL UNIQUE,
    event_type  text NOT NULL,
    -- json, not jsonb: stored as sent and cheaper to write; nothing queries inside it.
    payload     json NOT NULL,
    created_at  timestamptz NOT NULL,
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent_idx ON outbox (id) WHERE sent_at IS NULL;
