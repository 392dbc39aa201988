-- Reading at volume (issue 14.6): with a million cases and ten million timeline rows,
-- `complaints status`, `complaints show` / GET /v1/cases/{ref} and `complaints report` find their
-- rows through an index instead of reading every case or timer. `complaints bench data` seeds
-- that volume and times them; tests/large_data.rs checks the plans.

-- `complaints status`: the open cases waiting for a decision or an allocation, counted from
-- the few index entries of those states (the predicate names casework::waiting's states).
CREATE INDEX cases_waiting ON cases (status, sub_status)
    WHERE status IN ('Pending Approval', 'Pending Assignment');

-- `complaints status` and the ops page: the pending response targets nearest their deadline,
-- read in deadline order (timers::nearest_targets); the near-breach counts use it too.
CREATE INDEX timers_pending_targets ON timers (deadline)
    WHERE state = 'pending' AND clock = 'response_target';

-- `complaints report` and GET /v1/reports/complaints: the cases received in the period.
CREATE INDEX cases_received_at ON cases (received_at);

-- `complaints report`: whether each case's response target was met, breached or is pending,
-- read from this narrow index of the response targets instead of from every timer's row.
CREATE INDEX timers_response_targets ON timers (case_id) INCLUDE (state)
    WHERE clock = 'response_target';

-- `complaints report`: whether a closed case went on to the next tier, from the index of the
-- cases linked to another, which now carries their tier (it served the same look-ups before).
DROP INDEX cases_linked_idx;
CREATE INDEX cases_linked_idx ON cases (linked_case_id, tier) WHERE linked_case_id IS NOT NULL;
