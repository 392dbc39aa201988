-- Tasks as records (process.md §5 "Tasks"): something a person or team must do on a case,
-- with its due time and state. Opened in the transaction of the event that causes it (its
-- `task.created` email goes too), closed `done` by the decision that does the work, or
-- `cancelled` when its case closes with the task still open.
CREATE TABLE tasks (
    id               uuid PRIMARY KEY,
    case_id          uuid NOT NULL REFERENCES cases (id),
    -- Where the task waits: the case's handling team, or the central team it is for
    -- (special_payment_team, complaint_resolution_team, mp_specialists, complaint_review_team).
    team             text NOT NULL,
    -- Who in the team: caseworker, team_leader, manager, or the team itself (vocabulary::Assignee).
    assignee         text NOT NULL,
    -- What the task is about within its case (an action id), '' when the case alone says it.
    key              text NOT NULL DEFAULT '',
    task             text NOT NULL,
    -- The clock that raised it, when a clock did.
    clock            text,
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'cancelled')),
    created_at       timestamptz NOT NULL,
    due_at           timestamptz NOT NULL,
    opened_by_event  uuid NOT NULL,
    closed_at        timestamptz,
    closed_by_event  uuid,
    CHECK ((state = 'open') = (closed_at IS NULL))
);
-- `GET /v1/tasks?team=…&state=open` and `complaints tasks`: a team's open tasks, oldest first.
CREATE INDEX tasks_open_idx ON tasks (team, created_at) WHERE state = 'open';
CREATE INDEX tasks_case_idx ON tasks (case_id);
