-- Issue 12, point 16: the special payments made, not only agreed (process.md §7). One row per
-- financial-redress action of an agreed plan that has been paid (`special_payment.made`, its
-- `cause`): a second payment for the same action is refused. The report sums them by
-- when they were recorded.
CREATE TABLE special_payments (
    case_id      UUID        NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    action_id    TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    amount_pence BIGINT      NOT NULL CHECK (amount_pence > 0),
    paid_by      TEXT        NOT NULL,
    paid_at      TIMESTAMPTZ NOT NULL,
    cause        UUID        NOT NULL UNIQUE,
    PRIMARY KEY (case_id, action_id)
);

CREATE INDEX special_payments_paid_at ON special_payments (paid_at);
