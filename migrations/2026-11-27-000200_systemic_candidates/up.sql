-- The Systemic Log's count, kept so that checking a new case costs the same however many cases
-- its category had this month: one row per (category, case) a case counts on, with whether the
-- case is already on an entry for that category. The check reads at most three rows of the
-- partial index below.
CREATE TABLE systemic_candidates (
    category    TEXT        NOT NULL,
    case_id     UUID        NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    tier        SMALLINT    NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    logged      BOOLEAN     NOT NULL DEFAULT false,
    PRIMARY KEY (category, case_id)
);

CREATE INDEX systemic_candidates_unlogged
    ON systemic_candidates (category, tier, received_at DESC, case_id DESC)
    WHERE NOT logged;

CREATE INDEX systemic_candidates_case ON systemic_candidates (case_id);

-- The cases counted so far: every Resolution case on each of its categories, logged when an
-- entry names it for that category.
INSERT INTO systemic_candidates (category, case_id, tier, received_at, logged)
SELECT c.category, cs.id, cs.tier, cs.received_at,
       EXISTS (SELECT 1 FROM systemic_issues s WHERE s.category = c.category AND cs.id = ANY (s.case_ids))
FROM cases cs, unnest(cs.categories) AS c (category)
WHERE cs.tier = 1
ON CONFLICT DO NOTHING;
