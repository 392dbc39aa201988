DROP INDEX cases_linked_idx;
CREATE INDEX cases_linked_idx ON cases (linked_case_id) WHERE linked_case_id IS NOT NULL;
DROP INDEX timers_response_targets;
DROP INDEX cases_received_at;
DROP INDEX timers_pending_targets;
DROP INDEX cases_waiting;
