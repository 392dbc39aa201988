-- Issue 12: `special_payment.made` is a decision of the case state machine, which reads what
-- has been paid from the case's plan (`paid`, the ids of its paid actions) rather than from
-- `special_payments`. The plans of payments recorded before it are given theirs.
UPDATE cases
SET resolution_plan = jsonb_set(cases.resolution_plan, '{paid}', paid.ids)
FROM (
    SELECT case_id, jsonb_agg(action_id ORDER BY action_id) AS ids
    FROM special_payments
    GROUP BY case_id
) AS paid
WHERE cases.id = paid.case_id
  AND cases.resolution_plan IS NOT NULL;
