-- Access control (README "Security"): the API clients that may call the HTTP API, and the staff
-- directory every decision is checked against.

-- An API client: a bearer token's owner. Only the SHA-256 of the token's 256-bit random secret
-- is kept; the token itself is shown once, when the client is added.
CREATE TABLE api_clients (
    id            uuid PRIMARY KEY,
    name          text NOT NULL,
    -- What it may do: complaints:write, decisions:write, cases:read, reports:read, ops,
    -- metrics:read.
    scopes        text[] NOT NULL,
    secret_sha256 bytea NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    -- Set by `complaints clients revoke`; a revoked client is kept for the record.
    revoked_at    timestamptz
);
-- One live client per name; a revoked name may be used again.
CREATE UNIQUE INDEX api_clients_live_name_idx ON api_clients (name) WHERE revoked_at IS NULL;

-- The staff directory (`complaints staff import`): who may make which decision.
CREATE TABLE staff (
    -- The opaque staff id decisions carry in `by` and `approver`.
    staff_id    text PRIMARY KEY,
    team        text NOT NULL,
    -- caseworker, team_leader, g7_manager, case_manager, reviewer, special_payment_team,
    -- mp_specialist.
    roles       text[] NOT NULL,
    -- The civil service grade (AO, EO, HEO, SEO, G7, …).
    grade       text NOT NULL,
    active      boolean NOT NULL,
    imported_at timestamptz NOT NULL
);
