-- Every letter ever produced, kept with its case exactly as sent (process.md §6).
CREATE TABLE letters (
    id                 uuid PRIMARY KEY,
    case_id            uuid NOT NULL REFERENCES cases (id),
    code               text NOT NULL,
    -- The letter.requested event: a redelivered request finds its letter already made.
    requested_by_event uuid NOT NULL UNIQUE,
    template_version   text NOT NULL,
    subject            text NOT NULL,
    body_text          text NOT NULL,
    body_html          text NOT NULL,
    -- The text as printed (the PDF lays out the header and address itself), so a letter can
    -- switch to post when its email bounces.
    body_print         text NOT NULL,
    channel            text NOT NULL CHECK (channel IN ('email', 'post')),
    -- The email address, or the postal address on one line.
    recipient          text NOT NULL,
    status             text NOT NULL CHECK (status IN ('awaiting_email', 'sent', 'ready_for_post')),
    pdf_path           text,
    last_error         text,
    created_at         timestamptz NOT NULL,
    sent_at            timestamptz
);
CREATE INDEX letters_case_idx ON letters (case_id);

-- A customer who asked for letters by post even though they gave an email address.
ALTER TABLE parties ADD COLUMN prefers_post boolean NOT NULL DEFAULT false;
